#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/).

Run with the Salt virtual environment's Python, so frames and events are made
by Salt's own code (salt.transport.frame.frame_msg_ipc, the event packing of
salt.utils.event, salt.payload):

    .venv/salt-3006.23/bin/python tests/fuzz/make_corpus.py

The files are committed; rerun this only to change the seeds. Existing files
in the corpus folders are kept (libFuzzer may have added interesting ones).
"""
import json
import os
import struct

import salt.payload
import salt.transport.frame
import salt.utils.msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
JID = "20240102030405123456"


def event(tag, data):
    """What salt.utils.event.SaltEvent.fire_event puts in a frame's body."""
    return tag.encode() + b"\n\n" + salt.payload.dumps(data, use_bin_type=True)


def frame(body, head=None):
    return salt.transport.frame.frame_msg_ipc(body, header=head)


EVENTS = {
    "job_ret": event(f"salt/job/{JID}/ret", {
        "jid": JID, "fun": "test.ping", "return": True, "retcode": 0, "success": True,
        "fun_args": [], "id": "0123456789abcdef0123456789abcdef", "_stamp": "2024-01-02T03:04:05.123456"}),
    "schedule_return": event("__schedule_return", {
        "schedule": f"saltgw_{JID}", "fun": "cmd.run", "return": "total 0\ndrwx 2 root root .",
        "retcode": 0, "success": True, "jid": JID, "fun_args": ["ls -l"], "pid": 4242}),
    "manage_schedule_add": event("manage_schedule", {
        "func": "add", "persist": False, "schedule": {f"saltgw_{JID}": {
            "function": "test.arg", "args": [1, "two", 3.5, None, [1, 2], {"a": "b"}],
            "kwargs": {"k": "v"}, "enabled": False, "jid_include": True, "maxrunning": 1,
            "name": f"saltgw_{JID}"}}}),
    "hello": event("saltgw/hello/0123456789abcdef", {"saltgw": "hello"}),
    "module_refresh": event("module_refresh", {}),
    "empty_data": b"minion_start\n\n",
    "state_progress": event(f"salt/job/{JID}/prog/0123/0", {
        "cmd": "_return", "ret": {"file_|-x_|-/tmp/x_|-managed": {"result": True, "changes": {},
                                                                 "__run_num__": 0, "duration": 1.25}},
        "len": 3}),
    "binary_and_ints": event("custom/tag", {
        "bin": b"\x00\x01\xff", "neg": -(2 ** 40), "big": 2 ** 63 + 5, "f": -0.0, "nested": [[[{}]]]}),
    "padded_old_tag": b"salt/old|||||||||||" + b"|" + salt.utils.msgpack.dumps({"x": 1}),
    "trimmed": event(f"salt/job/{JID}/ret", {"return": "VALUE_TRIMMED", "success": True, "jid": JID}),
}


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames():
    for name, body in EVENTS.items():
        write("fuzz_frame_decoder", name, frame(body))
    # Several frames back to back, as one read() may return them.
    write("fuzz_frame_decoder", "three_frames",
          frame(EVENTS["hello"]) + frame(EVENTS["job_ret"]) + frame(EVENTS["module_refresh"]))
    # Python 2 era minions: everything as raw str (no bin type).
    write("fuzz_frame_decoder", "py2_raw_str",
          salt.utils.msgpack.dumps({"head": {}, "body": EVENTS["job_ret"]}, use_bin_type=False))
    write("fuzz_frame_decoder", "with_head", frame(EVENTS["hello"], head={"mid": 1, "tgt": "x"}))
    write("fuzz_frame_decoder", "truncated", frame(EVENTS["schedule_return"])[:-7])


def events():
    for name, body in EVENTS.items():
        write("fuzz_event_codec", name, body)


def msgpack_values():
    values = {
        "map": {"a": 1, "b": [1, 2, 3], "c": {"d": None, "e": True}},
        "float32": None,  # written by hand below
        "ext": salt.utils.msgpack.ExtType(5, b"abc"),
        "int_keys": {1: "one", -2: "minus two", True: "t", None: "n", 1.5: "f"},
        "big_uint": 2 ** 64 - 1,
        "deep": [[[[[[[[[[1]]]]]]]]]],
        "str_and_bin": ["text", b"\xff\xfe", "", b""],
        "floats": [0.0, -0.0, 1e308, float("inf"), float("nan"), 5e-324],
    }
    for name, v in values.items():
        if v is None:
            continue
        write("fuzz_msgpack_decode", name, b"\xff" + salt.utils.msgpack.dumps(v, use_bin_type=True))
    write("fuzz_msgpack_decode", "float32", b"\x00" + b"\xca" + struct.pack(">f", 1.5))
    write("fuzz_msgpack_decode", "tight_limits_array", b"\x11" + salt.utils.msgpack.dumps([1, [2, [3]]]))
    write("fuzz_msgpack_decode", "lying_array_header", b"\xff\xdd\x00\x01\x00\x00\x01")
    # The transcoder: the first byte picks the piece size (0x03: 4 bytes).
    json_values = dict(values, escapes="\"q\" \\ / \n\t\x01\x7f caf\u00e9 \U0001F600",
                       bad_utf8=b"a\xc3(\xed\xa0\x80\xf4\x90\x80\x80\xff",
                       envelope={"id": "1", "return": "line\n" * 40, "retcode": 0, "success": True},
                       dup_keys=None)
    for name, v in json_values.items():
        if v is not None:
            write("fuzz_msgpack_json", name, b"\x03" + salt.utils.msgpack.dumps(v, use_bin_type=True))
    write("fuzz_msgpack_json", "dup_keys", b"\x00" + bytes.fromhex("83a17a01a16102a17a03"))
    write("fuzz_msgpack_json", "float32", b"\x01" + b"\xca" + struct.pack(">f", 1.5))


def cli_commands():
    lines = []
    with open(os.path.join(ROOT, "tests", "differential", "corpus.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith(";;"):
                continue
            lines.append(json.loads(line[2:]) if line.startswith("@@") else line)
    picked = lines[::20]  # a spread over every section of the differential corpus
    for i, cmd in enumerate(picked):
        write("fuzz_cli_args", f"differential_{i:02d}", cmd.encode("utf-8"))
    write("fuzz_cli_args", "reference_example", b"test.arg 1 yes [1,2] {a: b} k=v n=3")
    write("fuzz_cli_args", "anchors", b"test.arg '&a [1, *a]' '{a: &x 1, b: *x}' '!!binary aGVsbG8='")


def json_requests():
    # byte 0: route (0 execute, 1 execute_raw, 2 PUT apn, 3 streamed execute), 0x10: ?async=1
    reqs = {
        "execute": (0, {"command": "test.ping"}),
        "execute_args": (0, {"command": "test.arg", "arg": [1, "a", 1.5, None, [True]], "kwarg": {"k": "v"}}),
        "execute_list": (0, ["test.arg", "a", "k=v", {"__kwarg__": True, "x": 1}]),
        "execute_async": (0x10, {"command": "test.sleep", "arg": [1]}),
        "execute_raw": (1, {"command": "test.arg 1 yes [1,2] {a: b} k=v"}),
        "apn": (2, {"apn": "internet", "user": "", "pass": "", "pin": "", "mtu": 1500}),
        "streamed": (3, {"command": "state.sls", "arg": ["network.wlan.client.config"]}),
        "unicode": (0, {"command": "test.echo", "arg": ["h\u00e9llo \u65e5\u672c \U0001F600"]}),
    }
    for name, (mode, body) in reqs.items():
        write("fuzz_json_request", name, bytes([mode]) + json.dumps(body).encode())
    write("fuzz_json_request", "numbers", b"\x00" + b'{"command": "test.arg", "arg": [-0, 1e400, 9223372036854775808, -9223372036854775808, 0.1]}')


def log_names():
    for name in ["syslog", "salt/minion", "in", "salt/up", "out", "outdir/secret", "evil", "abs", "fifo",
                 "dir", "loop", "dangling", "./syslog", "salt//minion", "../logs-evil/secret", "salt/../syslog"]:
        write("fuzz_log_file", name.replace("/", "_").replace(".", "dot") or "empty", name.encode())


def request_heads():
    # byte 0: where the request is split in two (see fuzz_request_head.cc)
    heads = {
        "get": b"GET / HTTP/1.1\r\nHost: localhost:9000\r\n\r\n",
        "post_body": b"POST /dongle/u/execute/ HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 25\r\n\r\n{\"command\": \"test.ping\"}",
        "chunked": b"PUT /dongle/u/apn/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "query": b"GET /dongle/u/events/?tag=salt/job/*&stream=1 HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n",
        "unknown_method": b"BREW /pot HTTP/1.1\r\n\r\n",
        "bad_version": b"GET / HTTP/2.0\r\n\r\n",
        "bare_lf": b"GET / HTTP/1.1\nHost: a\n\n",
        "obs_fold": b"GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n",
        "both_framings": b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "cl_twice": b"POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 01\r\n\r\n",
        "binary_target": b"GET /\xff\x00 HTTP/1.1\r\n\r\n",
    }
    for name, data in heads.items():
        write("fuzz_request_head", name, bytes([len(data) // 3]) + data)


def http_requests():
    # byte 0: where the bytes are split in two (see fuzz_http_request.cc)
    conns = {
        "get": b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "pipelined": b"GET /info/ HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\n\r\nGET /x?a=%41 HTTP/1.0\r\n\r\n",
        "post_body": b"POST /dongle/u/execute/ HTTP/1.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 25\r\n\r\n{\"command\": \"test.ping\"}GET / HTTP/1.1\r\n\r\n",
        "chunked": b"PUT /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;x=1\r\n{}\r\nA\r\n0123456789\r\n"
                   b"0\r\nT: v\r\n\r\n",
        "bad_chunk": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
        "too_big": b"POST / HTTP/1.1\r\nContent-Length: 9999\r\n\r\n",
        "many_fields": b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(12)) + b"\r\n",
        "content_type": b"POST / HTTP/1.1\r\nContent-Type: text\r\n\r\n",
    }
    for name, data in conns.items():
        write("fuzz_http_request", name, bytes([len(data) // 3]) + data)


if __name__ == "__main__":
    frames()
    events()
    msgpack_values()
    cli_commands()
    json_requests()
    log_names()
    request_heads()
    http_requests()
    for t in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        print(t, len(os.listdir(os.path.join(HERE, "corpus", t))), "files")
