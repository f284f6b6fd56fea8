"""flask proxy-config: the nginx site of docs/PRODUCTION.md and of the cluster test, from one template."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest

from webapp.config import PROJECT_ROOT
from webapp.proxy_config import ProxySite, render

GUIDE = PROJECT_ROOT / "docs" / "PRODUCTION.md"


def _documented() -> tuple[list[str], str]:
    text = GUIDE.read_text()
    match = re.search(r"<!-- rendered: flask proxy-config (.+?) -->\n```nginx\n(.*?)```", text, re.S)
    assert match, "docs/PRODUCTION.md lost its rendered sample"
    return shlex.split(match.group(1)), match.group(2)


def test_the_guides_sample_is_what_the_command_prints(app):
    arguments, sample = _documented()
    result = app.test_cli_runner().invoke(args=["proxy-config", *arguments])
    assert result.exit_code == 0, result.output
    assert result.output == sample


def test_every_node_is_in_the_upstream_and_no_marker_is_left():
    site = render(ProxySite(("127.0.0.1:8001", "127.0.0.1:8002"), listen="127.0.0.1:8080"))
    assert "server 127.0.0.1:8001 max_fails=1" in site and "server 127.0.0.1:8002 max_fails=1" in site
    assert "listen 127.0.0.1:8080;" in site and "ssl_certificate" not in site
    for marker in ("@UPSTREAM_SERVERS@", "@LISTEN@", "@SERVER_NAME@", "@TLS@", "@STATIC_ROOT@"):
        assert marker not in site
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in site
    assert "non_idempotent" not in site.split("proxy_next_upstream error")[1]


@pytest.mark.parametrize("site, message", [
    (ProxySite(()), "at least one app node"),
    (ProxySite(("10.0.0.1:8000; include /etc/passwd",)), "not a host:port"),
    (ProxySite(("10.0.0.1:8000",), server_name="a.example;}"), "not a server name"),
    (ProxySite(("10.0.0.1:8000",), listen="443 ssl"), "needs a certificate"),
    (ProxySite(("10.0.0.1:8000",), listen="80", static_root="relative/static"), "paths must be absolute"),
])
def test_values_that_could_break_out_of_their_directive_are_refused(site, message):
    with pytest.raises(ValueError, match=message):
        render(site)


def test_the_command_refuses_bad_values_with_a_message(app):
    result = app.test_cli_runner().invoke(args=["proxy-config", "--node", "not a node"])
    assert result.exit_code != 0 and "not a host:port" in result.output


def test_nginx_accepts_the_rendered_site(tmp_path):
    assert shutil.which("nginx", path="/usr/sbin:/usr/bin"), "the proxy test needs Debian's nginx: make proxy-deps"
    site = tmp_path / "site.conf"
    site.write_text(render(ProxySite(("127.0.0.1:8001", "127.0.0.1:8002"), listen="127.0.0.1:8080")))
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\nhttp {{\n  include /etc/nginx/mime.types;\n"
                    f"  include {site};\n}}\n")
    checked = subprocess.run(["/usr/sbin/nginx", "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                              "-c", str(main)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
