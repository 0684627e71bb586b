"""C15: Path normalization (`/a/../b`, `%2e%2e`, `%2F`, `//`).

The origin answers every request `200 SECRET`, so a leak is obvious. River has no path rules
yet, so the case's 403s for `/admin` cannot be checked; what is checked now is what the case
requires of the path River forwards: either River refuses the target with 400, or it forwards
the normalized path (RFC 3986 §5.2.4 dot segments removed, §6.2.2.2 percent-encoded
unreserved characters decoded, slashes merged), which the origin cannot reinterpret. Encoded
`/` and `\\` are never decoded by River. The 403 part of a–f and h joins with path rules.

River forwards a–f as `/admin/x` (once path rules exist, that normalized path is what they
will match) and refuses g–k with 400 (the preferred outcome for g, h, i, k).
"""
from harness import Origin, River, proxy_config
from cases_wire import RawClient, ScriptedOrigin, parse_messages

SECRET_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nSECRET"


def send_path(path):
    """Returns (client, forwarded targets) for `GET path`."""
    with Origin(ScriptedOrigin(SECRET_REPLY)) as origin, \
            River(proxy_config(origin.address)) as river:
        with RawClient(river.port("proxy")) as client:
            client.send(b"GET " + path + b" HTTP/1.1\r\nHost: example.test\r\n\r\n")
            client.wait_final_responses(1, timeout=3)
            client.read_for(0.1)
        requests, _ = parse_messages(origin.received(), eof=False)
        return client, [r.target for r in requests]


def refused(client, targets):
    responses = client.final_responses()
    if responses and responses[0].status == 400:
        assert targets == [], f"refused but forwarded {targets}"
        assert b"SECRET" not in client.data
        return True
    return False


def refused_or_normalized(path, normalized):
    client, targets = send_path(path)
    if refused(client, targets):
        return
    assert targets == [normalized], f"{path!r} forwarded as {targets}, not {normalized!r}"


def refused_or_kept_encoded(path):
    client, targets = send_path(path)
    if refused(client, targets):
        return
    # Forwarded: byte for byte, except that hex digits may be upper-cased (RFC 3986 §6.2.2.1).
    assert [t.lower() for t in targets] == [path.lower()], f"{path!r} forwarded as {targets}"


def never_secret(path, allowed=(400, 404)):
    client, targets = send_path(path)
    responses = client.final_responses()
    assert b"SECRET" not in client.data, f"{path!r} reached the origin as {targets}"
    assert responses and responses[0].status in allowed, client.data
    for target in targets:
        assert b"%2f" in target.lower(), f"encoded / decoded: {target!r}"


def test_c15_a_dot_dot_segment_is_refused_or_normalized():
    refused_or_normalized(b"/public/../admin/x", b"/admin/x")


def test_c15_b_encoded_dot_dot_is_refused_or_normalized():
    refused_or_normalized(b"/public/%2e%2e/admin/x", b"/admin/x")


def test_c15_c_mixed_case_encoded_dot_dot_is_refused_or_normalized():
    refused_or_normalized(b"/public/%2E%2e/admin/x", b"/admin/x")


def test_c15_d_dot_segment_is_refused_or_normalized():
    refused_or_normalized(b"/./admin/x", b"/admin/x")


def test_c15_e_double_slash_is_refused_or_merged():
    refused_or_normalized(b"//admin/x", b"/admin/x")


def test_c15_f_encoded_unreserved_letter_is_refused_or_decoded():
    refused_or_normalized(b"/%61dmin/x", b"/admin/x")


def test_c15_g_encoded_slash_after_dot_dot_never_reaches_the_origin():
    never_secret(b"/public/..%2fadmin/x")


def test_c15_h_encoded_slash_is_refused_or_kept_encoded():
    refused_or_kept_encoded(b"/admin%2fx")


def test_c15_i_encoded_backslash_is_refused_or_forwarded_unchanged():
    refused_or_kept_encoded(b"/public/..%5cadmin/x")


def test_c15_j_fragment_in_target_is_refused():
    client, targets = send_path(b"/admin/x#/../../public/y")
    assert refused(client, targets), client.data
    assert b"close" in client.final_responses()[0].tokens("Connection")


def test_c15_k_fully_encoded_dot_dot_slash_never_reaches_the_origin():
    never_secret(b"/public/%2e%2e%2fadmin/x", allowed=(400,))


def test_c15_l_plain_path_is_forwarded():
    client, targets = send_path(b"/public/ok")
    responses = client.final_responses()
    assert [(r.status, r.body) for r in responses] == [(200, b"SECRET")], client.data
    assert targets == [b"/public/ok"]
