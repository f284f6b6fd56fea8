"""The reverse proxy's configuration: deploy/nginx-site.conf.template rendered for a set of app nodes.

One source for docs/PRODUCTION.md and the cluster test (tests/cluster/): `flask proxy-config` prints it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import click
from flask import Flask

from webapp.config import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx-site.conf.template"
_NODE = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$|^unix:/[^\s;{}]+$")
_NAME = re.compile(r"^[A-Za-z0-9.\-*_]+$")
_PATH = re.compile(r"^/[^\s;{}'\"]*$")


@dataclass(frozen=True)
class ProxySite:
    """What differs between deployments: the app nodes, where nginx listens, the site's name, TLS files."""

    nodes: tuple[str, ...]
    listen: str = "443 ssl"
    server_name: str = "_"
    tls_certificate: str | None = None
    tls_certificate_key: str | None = None
    static_root: str = str(PROJECT_ROOT / "static")
    fail_timeout_seconds: int = 10


def render(site: ProxySite) -> str:
    """The nginx site configuration for `site` (ValueError on a value that could break out of its directive)."""
    if not site.nodes:
        raise ValueError("at least one app node (host:port) is needed")
    for node in site.nodes:
        if not _NODE.match(node):
            raise ValueError(f"not a host:port or unix:/path: {node!r}")
    if not re.match(r"^[\w.:\[\]]+( ssl)?( http2)?$", site.listen):
        raise ValueError(f"not a listen address: {site.listen!r}")
    if not all(_NAME.match(name) for name in site.server_name.split()):
        raise ValueError(f"not a server name: {site.server_name!r}")
    paths = [site.static_root, site.tls_certificate, site.tls_certificate_key]
    if not all(_PATH.match(path) for path in paths if path is not None):
        raise ValueError("paths must be absolute, without spaces, quotes, braces or semicolons")
    tls = ""
    if "ssl" in site.listen.split():
        if not (site.tls_certificate and site.tls_certificate_key):
            raise ValueError("listening with ssl needs a certificate and its key")
        tls = (f"    ssl_certificate {site.tls_certificate};\n"
               f"    ssl_certificate_key {site.tls_certificate_key};\n"
               "    ssl_protocols TLSv1.2 TLSv1.3;\n")
    servers = "\n".join(f"    server {node} max_fails=1 fail_timeout={site.fail_timeout_seconds}s;"
                        for node in site.nodes)
    text = TEMPLATE.read_text()
    for marker, value in (("@UPSTREAM_SERVERS@", servers), ("@LISTEN@", site.listen),
                          ("@SERVER_NAME@", site.server_name), ("@TLS@\n", tls),
                          ("@STATIC_ROOT@", site.static_root.rstrip("/"))):
        text = text.replace(marker, value)
    return text


def init_app(app: Flask) -> None:
    """Register `flask proxy-config`."""

    @app.cli.command("proxy-config")
    @click.option("--node", "nodes", multiple=True, required=True, help="An app node, host:port (repeat per node).")
    @click.option("--listen", default="443 ssl", show_default=True)
    @click.option("--server-name", default="_", show_default=True)
    @click.option("--tls-certificate", default=None)
    @click.option("--tls-certificate-key", default=None)
    @click.option("--static-root", default=str(PROJECT_ROOT / "static"), show_default=True)
    def proxy_config(nodes, listen, server_name, tls_certificate, tls_certificate_key, static_root) -> None:
        """Print the nginx site configuration for these app nodes (deploy/nginx-site.conf.template)."""
        site = ProxySite(tuple(nodes), listen, server_name, tls_certificate, tls_certificate_key, static_root)
        try:
            click.echo(render(site), nl=False)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
