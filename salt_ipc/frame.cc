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
  bool failed = false;
  std::string failure;
};

FrameDecoder::FrameDecoder(const DecodeLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
FrameDecoder::~FrameDecoder() = default;
FrameDecoder::FrameDecoder(FrameDecoder&&) noexcept = default;
FrameDecoder& FrameDecoder::operator=(FrameDecoder&&) noexcept = default;

size_t FrameDecoder::buffered() const { return static_cast<size_t>(impl_->fed - impl_->frame_start); }

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

Status FrameDecoder::feed(std::string_view bytes, std::vector<Frame>& out) {
  auto& d = *impl_;
  if (d.failed) return make_error(ErrorKind::kProtocol, d.failure);
  auto fail = [&](std::string why) -> Status {
    d.failed = true;
    d.failure = std::move(why);
    return make_error(ErrorKind::kProtocol, d.failure);
  };
  try {
    d.unpacker.reserve_buffer(bytes.size());
    std::memcpy(d.unpacker.buffer(), bytes.data(), bytes.size());
    d.unpacker.buffer_consumed(bytes.size());
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

}  // namespace saltgw::salt_ipc
