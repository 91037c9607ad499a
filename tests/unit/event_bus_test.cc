// Unit tests for salt_ipc/event_bus.h against a fake minion event bus
// (tests/unit/event_bus_fixture.h): connecting, events, reconnects.
#include <gtest/gtest.h>

#include "tests/unit/event_bus_fixture.h"

namespace saltgw::salt_ipc::bus_test {
namespace {

TEST_F(EventBusTest, NotConnectedBeforeStart) {
  ASSERT_TRUE(fake().start());
  EventBus bus(options(fake().endpoints()));
  EXPECT_FALSE(bus.connected());
  EXPECT_EQ(bus.connects(), 0u);
  EXPECT_FALSE(bus.last_error().empty());
  auto st = bus.publish("salt/test", Value(Map{}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kMinionUnreachable);
}

TEST_F(EventBusTest, ConnectsAfterHelloRoundTrip) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  EXPECT_EQ(bus.connects(), 1u);
  EXPECT_TRUE(bus.last_error().empty()) << bus.last_error();
  EXPECT_FALSE(bus.on_io_thread());

  // The hello went through the pull socket as a framed Salt event.
  auto got = fake().received();
  ASSERT_FALSE(got.empty());
  auto hello = event_unpack(got[0]);
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_TRUE(tag_matches(hello->tag, "saltgw/hello/")) << hello->tag;

  ASSERT_TRUE(sync(bus));
  for (const auto& [up, reason] : rec.states_copy()) EXPECT_TRUE(up) << reason;
  EXPECT_FALSE(rec.wrong_thread);
}

// A listener added before start() must hear the first connect: calls made
// from one thread take effect in order. Repeated because the window is small.
TEST_F(EventBusTest, StateListenerAddedBeforeStartHearsFirstConnect) {
  ASSERT_TRUE(fake().start());
  int missed = 0;
  for (int i = 0; i < 30; ++i) {
    Recorder rec;
    EventBus bus(options(fake().endpoints()));
    bus.add_state_listener(rec.listener(bus));
    ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
    ASSERT_TRUE(sync(bus));
    auto states = rec.states_copy();
    if (states.empty() || !states[0].first) ++missed;
  }
  EXPECT_EQ(missed, 0) << missed << " of 30 listeners missed the first connect";
}

TEST_F(EventBusTest, PublishAndSubscribeWithPrefixMatching) {
  ASSERT_TRUE(fake().start());
  Recorder jobs, other, all;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/job/", jobs.handler(bus));
  bus.subscribe("other/", other.handler(bus));
  bus.subscribe("", all.handler(bus));

  Value data(Map{{"fun", Value("test.ping")}, {"return", Value(true)}});
  ASSERT_TRUE(bus.publish("salt/job/20240101120000123456/ret/m1", data).ok());
  ASSERT_TRUE(bus.publish("salt/jobs/x", Value(Map{})).ok());
  ASSERT_TRUE(bus.publish("other/thing", Value(Map{{"n", Value(1)}})).ok());

  ASSERT_TRUE(wait_until([&] { return all.event_count() >= 3; }));
  ASSERT_TRUE(wait_until([&] { return jobs.event_count() >= 1 && other.event_count() >= 1; }));
  std::this_thread::sleep_for(20ms);  // let any stray delivery show up

  auto j = jobs.events_copy();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(j[0].data, data);
  auto o = other.events_copy();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].tag, "other/thing");
  auto a = all.events_copy();
  ASSERT_EQ(a.size(), 3u);  // the hello round trip is not delivered to subscribers
  EXPECT_EQ(a[0].tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(a[1].tag, "salt/jobs/x");
  EXPECT_EQ(a[2].tag, "other/thing");
  EXPECT_FALSE(jobs.wrong_thread || other.wrong_thread || all.wrong_thread);

  // What reached the minion is a Salt event: tag "\n\n" msgpack.
  bool found = false;
  for (const auto& body : fake().received()) {
    auto ev = event_unpack(body);
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    if (ev->tag == "salt/job/20240101120000123456/ret/m1") {
      found = true;
      EXPECT_EQ(ev->data, data);
      EXPECT_EQ(body.substr(0, ev->tag.size() + 2), ev->tag + "\n\n");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(EventBusTest, SubscribeThenPublishFromSameThreadIsOrdered) {
  ASSERT_TRUE(fake().start());
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  for (int i = 0; i < 20; ++i) {
    Recorder rec;
    std::string tag = "salt/order/" + std::to_string(i);
    uint64_t id = bus.subscribe(tag, rec.handler(bus));
    ASSERT_TRUE(bus.publish(tag, Value(Map{})).ok());
    EXPECT_TRUE(wait_until([&] { return rec.saw_tag(tag); })) << tag;
    bus.unsubscribe(id);
    // Make sure the unsubscribe took effect before `rec` goes away.
    std::atomic<bool> done{false};
    bus.post([&] { done = true; });
    ASSERT_TRUE(wait_until([&] { return done.load(); }));
  }
}

TEST_F(EventBusTest, UnsubscribeStopsDelivery) {
  ASSERT_TRUE(fake().start());
  Recorder gone, sentinel;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  uint64_t id = bus.subscribe("salt/", gone.handler(bus));
  bus.subscribe("salt/", sentinel.handler(bus));
  ASSERT_TRUE(bus.publish("salt/one", Value(Map{})).ok());
  ASSERT_TRUE(wait_until([&] { return gone.event_count() == 1 && sentinel.event_count() == 1; }));
  bus.unsubscribe(id);
  ASSERT_TRUE(bus.publish("salt/two", Value(Map{})).ok());
  ASSERT_TRUE(wait_until([&] { return sentinel.event_count() == 2; }));
  EXPECT_EQ(gone.event_count(), 1u);
}

TEST_F(EventBusTest, EventsFromTheMinionAreDelivered) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/job/", rec.handler(bus));
  ASSERT_TRUE(sync(bus));

  Value data(Map{{"jid", Value("20240101120000123456")}, {"return", Value(List{Value(1)})}});
  fake().inject(frame_encode(event_pack("salt/job/20240101120000123456/ret/m1", data)) +
                frame_encode(event_pack("unrelated/tag", Value(Map{}))) +
                frame_encode(event_pack("salt/job/20240101120000123457/ret/m1", data)));
  ASSERT_TRUE(wait_until([&] { return rec.event_count() >= 2; }));
  auto ev = rec.events_copy();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(ev[0].data, data);
  EXPECT_EQ(ev[1].tag, "salt/job/20240101120000123457/ret/m1");
}

TEST_F(EventBusTest, EventsSplitByteByByte) {
  fake().set_split(true);
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  // The hello itself comes back one byte at a time.
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/", rec.handler(bus));
  ASSERT_TRUE(sync(bus));
  Value data(Map{{"text", Value(std::string(100, 'x'))}, {"bin", Value(Bytes{std::string("\x00\x01", 2)})}});
  ASSERT_TRUE(bus.publish("salt/split/1", data).ok());
  fake().inject(frame_encode(event_pack("salt/split/2", data)));
  ASSERT_TRUE(wait_until([&] { return rec.event_count() >= 2; }));
  auto ev = rec.events_copy();
  ASSERT_EQ(ev.size(), 2u);
  // Order between the two is not fixed (one came through the pull socket).
  for (const auto& e : ev) {
    EXPECT_TRUE(e.tag == "salt/split/1" || e.tag == "salt/split/2") << e.tag;
    EXPECT_EQ(e.data, data);
  }
  EXPECT_EQ(bus.connects(), 1u);
}

TEST_F(EventBusTest, MalformedFrameDropsAndReconnects) {
  ASSERT_TRUE(fake().start());
  Recorder rec, events;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  ASSERT_EQ(bus.connects(), 1u);
  bus.subscribe("salt/", events.handler(bus));
  ASSERT_TRUE(sync(bus));
  size_t base = rec.states_copy().size();

  fake().inject(std::string("\xc1", 1));  // never valid msgpack
  ASSERT_TRUE(wait_until([&] { return bus.connects() >= 2; })) << bus.last_error();
  ASSERT_TRUE(wait_until([&] { return rec.states_since(base).size() >= 2; }));
  EXPECT_TRUE(bus.connected());
  auto states = rec.states_since(base);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_FALSE(states[0].first);
  EXPECT_NE(states[0].second.find("frame"), std::string::npos) << states[0].second;
  EXPECT_TRUE(states[1].first);

  // Still works after the reconnect.
  ASSERT_TRUE(bus.publish("salt/after", Value(Map{})).ok());
  EXPECT_TRUE(wait_until([&] { return events.saw_tag("salt/after"); }));
}

TEST_F(EventBusTest, FrameThatIsNotAMapDropsAndReconnects) {
  ASSERT_TRUE(fake().start());
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  fake().inject(msgpack_encode(Value(List{Value("head"), Value("body")})));
  ASSERT_TRUE(wait_until([&] { return bus.connects() >= 2 && bus.connected(); }))
      << bus.last_error();
}

TEST_F(EventBusTest, UndecodableEventInAGoodFrameIsSkipped) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("", rec.handler(bus));
  ASSERT_TRUE(sync(bus));
  fake().inject(frame_encode("short") + frame_encode("salt/bad\n\n\xc1") +
                frame_encode(event_pack("salt/good", Value(Map{}))));
  ASSERT_TRUE(wait_until([&] { return rec.saw_tag("salt/good"); }));
  EXPECT_EQ(rec.event_count(), 1u);
  EXPECT_EQ(bus.connects(), 1u);
  EXPECT_TRUE(bus.connected());
}

TEST_F(EventBusTest, ServerRestartNotifiesAndReconnects) {
  ASSERT_TRUE(fake().start());
  Recorder rec, events;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/", events.handler(bus));
  ASSERT_TRUE(sync(bus));
  size_t base = rec.states_copy().size();

  fake().stop();
  ASSERT_TRUE(wait_until([&] { return !bus.connected(); }));
  ASSERT_TRUE(wait_until([&] { return rec.states_since(base).size() >= 1; }));
  auto states = rec.states_since(base);
  EXPECT_FALSE(states[0].first);
  EXPECT_FALSE(states[0].second.empty());
  EXPECT_FALSE(bus.last_error().empty());
  auto st = bus.publish("salt/while/down", Value(Map{}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kMinionUnreachable);

  ASSERT_TRUE(fake().start());
  ASSERT_TRUE(wait_until([&] { return bus.connected(); })) << bus.last_error();
  EXPECT_EQ(bus.connects(), 2u);
  ASSERT_TRUE(wait_until([&] { return rec.states_since(base).size() >= 2; }));
  states = rec.states_since(base);
  EXPECT_EQ(states.size(), 2u);  // failed reconnect attempts are not reported again
  EXPECT_TRUE(states[1].first);
  EXPECT_FALSE(rec.wrong_thread);

  ASSERT_TRUE(bus.publish("salt/after/restart", Value(Map{})).ok());
  EXPECT_TRUE(wait_until([&] { return events.saw_tag("salt/after/restart"); }));
}

TEST_F(EventBusTest, NonSaltListenerNeverCountsAsConnected) {
  fake().set_echo(false);
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  bus.start();
  // Wait for a couple of hello attempts to time out.
  ASSERT_TRUE(wait_until([&] { return fake().pull_accepts() >= 2; }, 1800ms));
  EXPECT_FALSE(bus.connected());
  EXPECT_EQ(bus.connects(), 0u);
  std::string why = bus.last_error();
  EXPECT_NE(why.find("no answer"), std::string::npos) << why;
  EXPECT_NE(why.find("Salt"), std::string::npos) << why;
  for (const auto& [up, reason] : rec.states_copy()) EXPECT_FALSE(up) << reason;
  EXPECT_FALSE(bus.publish("salt/x", Value(Map{})).ok());
}

TEST_F(EventBusTest, NothingListeningExplainsWhy) {
  BusEndpoints ep;
  ep.pub_path = dir_ + "/nothing_pub.ipc";
  ep.pull_path = dir_ + "/nothing_pull.ipc";
  EventBus bus(options(ep));
  bus.start();
  ASSERT_TRUE(wait_until([&] { return bus.last_error().find(ep.pub_path) != std::string::npos; }))
      << bus.last_error();
  EXPECT_NE(bus.last_error().find("connect"), std::string::npos) << bus.last_error();
  EXPECT_NE(bus.last_error().find(ep.pub_path), std::string::npos) << bus.last_error();
  EXPECT_FALSE(bus.connected());
}

TEST_F(EventBusTest, TcpMode) {
  ASSERT_TRUE(fake(/*tcp=*/true).start());
  BusEndpoints ep = fake().endpoints();
  ASSERT_TRUE(ep.tcp);
  ASSERT_NE(ep.pub_port, 0);
  Recorder rec;
  EventBus bus(options(ep));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/", rec.handler(bus));
  ASSERT_TRUE(bus.publish("salt/tcp", Value(Map{{"a", Value(1)}})).ok());
  EXPECT_TRUE(wait_until([&] { return rec.saw_tag("salt/tcp"); }));
}

TEST_F(EventBusTest, StopNotifiesListenersAndDisconnects) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  ASSERT_TRUE(sync(bus));
  size_t base = rec.states_copy().size();
  bus.stop();
  EXPECT_FALSE(bus.connected());
  auto states = rec.states_since(base);
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].first);
  EXPECT_TRUE(wait_until([&] { return fake().pub_clients() == 0; }));
}

TEST_F(EventBusTest, RemovedStateListenerIsNotCalled) {
  ASSERT_TRUE(fake().start());
  Recorder kept, removed;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.add_state_listener(kept.listener(bus));
  uint64_t id = bus.add_state_listener(removed.listener(bus));
  bus.remove_state_listener(id);
  ASSERT_TRUE(sync(bus));
  fake().inject(std::string("\xc1", 1));  // force a drop and a reconnect
  ASSERT_TRUE(wait_until([&] { return kept.states_copy().size() >= 2; }));
  EXPECT_FALSE(kept.states_copy()[0].first);
  EXPECT_TRUE(kept.states_copy()[1].first);
  EXPECT_TRUE(removed.states_copy().empty());
}

}  // namespace
}  // namespace saltgw::salt_ipc::bus_test
