#include "salt_ipc/frame.h"

#include <cstring>

#include "salt_ipc/msgpack_internal.h"

namespace saltgw::salt_ipc {

struct FrameDecoder::Impl {
  explicit Impl(const DecodeLimits& l)
      : limits(l),
        unpacker(nullptr, nullptr, 64 * 1024,
                 msgpack::unpack_limit(l.max_elements, l.max_elements, l.max_bytes, l.max_bytes,
                                       l.max_bytes, l.max_depth)) {}
  DecodeLimits limits;
  msgpack::unpacker unpacker;
  uint64_t fed = 0;           // bytes fed in total
  uint64_t frame_start = 0;   // value of `fed` where the current frame began
  std::string head;           // the first bytes of the current frame (see announced_body_size)
  bool failed = false;
  std::string failure;
  // Length-prefixed streams (3006.24+ / 3007 / 3008, see frame.h) do not go
  // through `unpacker`: whole prefixed frames are cut from `pbuf`.
  enum class Mode { kUnknown, kStream, kPrefixed } mode = Mode::kUnknown;
  std::string pbuf;
};

FrameDecoder::FrameDecoder(const DecodeLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
FrameDecoder::~FrameDecoder() = default;
FrameDecoder::FrameDecoder(FrameDecoder&&) noexcept = default;
FrameDecoder& FrameDecoder::operator=(FrameDecoder&&) noexcept = default;

size_t FrameDecoder::buffered() const {
  if (impl_->mode == Impl::Mode::kPrefixed) return impl_->pbuf.size();
  return static_cast<size_t>(impl_->fed - impl_->frame_start);
}

bool FrameDecoder::length_prefixed() const { return impl_->mode == Impl::Mode::kPrefixed; }

namespace {

Result<Frame> to_frame(const msgpack::object& o) {
  if (o.type != msgpack::type::MAP)
    return make_error(ErrorKind::kProtocol, "IPC frame is not a msgpack map");
  Frame f;
  bool have_body = false;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    std::string_view key;
    if (kv.key.type == msgpack::type::STR)
      key = {kv.key.via.str.ptr, kv.key.via.str.size};
    else if (kv.key.type == msgpack::type::BIN)
      key = {kv.key.via.bin.ptr, kv.key.via.bin.size};
    else
      continue;
    if (key == "body") {
      if (kv.val.type == msgpack::type::STR)
        f.body.assign(kv.val.via.str.ptr, kv.val.via.str.size);
      else if (kv.val.type == msgpack::type::BIN)
        f.body.assign(kv.val.via.bin.ptr, kv.val.via.bin.size);
      else
        return make_error(ErrorKind::kProtocol, "IPC frame body is neither str nor bin");
      have_body = true;
    } else if (key == "head") {
      auto h = msgpack_object_to_value(kv.val, 64);
      if (!h) return h.error();
      f.head = std::move(h).value();
    }
  }
  if (!have_body) return make_error(ErrorKind::kProtocol, "IPC frame has no body");
  return f;
}

}  // namespace

// The size a Salt frame announces for its body, read from the frame's first
// bytes: {"head": {}, "body": <str/bin header>}. msgpack-c only checks a
// size limit once the whole value has arrived, so a header announcing
// gigabytes would otherwise keep the connection reading (and deaf) until
// max_bytes were buffered. 0 when the prefix is not that shape or incomplete.
uint64_t announced_body_size(std::string_view h) {
  static const std::string_view kPrefix("\x82\xa4" "head" "\x80\xa4" "body", 12);
  if (h.size() < kPrefix.size() + 5 || h.substr(0, kPrefix.size()) != kPrefix) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(h.data() + kPrefix.size());
  switch (p[0]) {
    case 0xc6:  // bin 32
    case 0xdb:  // str 32
      return (uint64_t{p[1]} << 24) | (uint64_t{p[2]} << 16) | (uint64_t{p[3]} << 8) | p[4];
    default:
      return 0;  // 8/16-bit sizes are below any limit that matters
  }
}

Status FrameDecoder::feed(std::string_view bytes, std::vector<Frame>& out) {
  auto& d = *impl_;
  if (d.failed) return make_error(ErrorKind::kProtocol, d.failure);
  auto fail = [&](std::string why) -> Status {
    d.failed = true;
    d.failure = std::move(why);
    return make_error(ErrorKind::kProtocol, d.failure);
  };
  if (bytes.empty()) return Ok{};
  if (d.mode == Impl::Mode::kUnknown)
    d.mode = bytes[0] == '\0' ? Impl::Mode::kPrefixed : Impl::Mode::kStream;  // see frame.h
  if (d.mode == Impl::Mode::kPrefixed) {
    d.pbuf.append(bytes);
    size_t pos = 0;
    while (d.pbuf.size() - pos >= 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(d.pbuf.data() + pos);
      uint64_t len = (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) | (uint64_t{p[2]} << 8) | p[3];
      if (len > d.limits.max_bytes)
        return fail("IPC frame larger than " + std::to_string(d.limits.max_bytes) + " bytes");
      if (d.pbuf.size() - pos - 4 < len) break;
      try {
        size_t off = 0;
        auto oh = msgpack::unpack(d.pbuf.data() + pos + 4, static_cast<size_t>(len), off, nullptr, nullptr,
                                  msgpack::unpack_limit(d.limits.max_elements, d.limits.max_elements,
                                                        d.limits.max_bytes, d.limits.max_bytes,
                                                        d.limits.max_bytes, d.limits.max_depth));
        if (off != len) return fail("IPC frame shorter than its length prefix");
        auto f = to_frame(oh.get());
        if (!f) return fail(f.error().message);
        out.push_back(std::move(f).value());
      } catch (const std::exception& e) {
        return fail(std::string("malformed IPC frame: ") + e.what());
      }
      pos += 4 + static_cast<size_t>(len);
    }
    d.pbuf.erase(0, pos);
    return Ok{};
  }
  try {
    d.unpacker.reserve_buffer(bytes.size());
    std::memcpy(d.unpacker.buffer(), bytes.data(), bytes.size());
    d.unpacker.buffer_consumed(bytes.size());
    uint64_t fed_before = d.fed;
    d.fed += bytes.size();
    msgpack::object_handle oh;
    while (d.unpacker.next(oh)) {
      // Right after a complete object, what is not parsed is the next frame.
      uint64_t end = d.fed - d.unpacker.nonparsed_size();
      if (end - d.frame_start > d.limits.max_bytes)
        return fail("IPC frame larger than " + std::to_string(d.limits.max_bytes) + " bytes");
      d.frame_start = end;
      auto f = to_frame(oh.get());
      if (!f) return fail(f.error().message);
      out.push_back(std::move(f).value());
    }
    if (d.fed - d.frame_start > d.limits.max_bytes)
      return fail("IPC frame larger than " + std::to_string(d.limits.max_bytes) + " bytes");
    // Keep the first bytes of the frame in progress and refuse one that
    // announces a body over the limit at once.
    constexpr size_t kHead = 17;
    if (d.frame_start >= fed_before) {
      d.head.assign(bytes.substr(static_cast<size_t>(d.frame_start - fed_before), kHead));
    } else if (d.head.size() < kHead) {
      d.head.append(bytes.substr(0, kHead - d.head.size()));
    }
    if (uint64_t announced = announced_body_size(d.head); announced > d.limits.max_bytes)
      return fail("IPC frame announces a body of " + std::to_string(announced) + " bytes, more than the limit of " +
                  std::to_string(d.limits.max_bytes));
  } catch (const std::exception& e) {
    return fail(std::string("malformed IPC stream: ") + e.what());
  }
  return Ok{};
}

std::string frame_encode(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 24);
  // fixmap(2) {"head": {}, "body": bin}
  out.push_back(static_cast<char>(0x82));
  out.push_back(static_cast<char>(0xa4));
  out.append("head");
  out.push_back(static_cast<char>(0x80));
  out.push_back(static_cast<char>(0xa4));
  out.append("body");
  msgpack_encode(Value(Bytes{std::string(body)}), out);
  return out;
}

std::string frame_encode_length_prefixed(std::string_view body) {
  std::string frame = frame_encode(body);
  uint32_t n = static_cast<uint32_t>(frame.size());
  std::string out;
  out.reserve(frame.size() + 4);
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out += frame;
  return out;
}

}  // namespace saltgw::salt_ipc
