"""The quickstart works: a proxy in front of a file service."""
from harness import River, Origin, proxy_config, curl, raw_exchange, statuses


def test_proxies_a_request_to_a_scripted_origin():
    with Origin() as origin, River(proxy_config(origin.address)) as river:
        result = curl("-i", river.url("proxy", "/hello"))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(b"HTTP/1.1 200 OK"), result.stdout
        assert result.stdout.endswith(b"\r\n\r\nok")
        assert b"GET /hello HTTP/1.1\r\n" in origin.received()


def test_keep_alive_client_reuses_one_upstream_connection():
    with Origin() as origin, River(proxy_config(origin.address)) as river:
        request = b"GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n" * 5
        out = raw_exchange(river.port("proxy"), request, timeout=1)
        assert statuses(out) == [200] * 5, out
        assert origin.connections == 1
