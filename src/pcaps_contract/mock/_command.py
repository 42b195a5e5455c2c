"""`pcaps-contract mock`: turn the command line and the environment into a MockConfig, then serve it."""

from __future__ import annotations

import argparse
import os
import sys

from starlette.types import ASGIApp

from pcaps_contract._errors import UsageError
from pcaps_contract.mock._config import DEV_API_KEY, DEV_EMAIL, DEV_TOKEN, MockConfig


def config_from_args(args: argparse.Namespace, environ: dict[str, str] | None = None) -> tuple[MockConfig, str]:
    """The config the flags ask for (flags win over the environment), and a line saying whose credentials it takes."""
    env = os.environ if environ is None else environ
    token = args.token or env.get("CLOUDFLARE_API_TOKEN") or ""
    email = args.email or env.get("CLOUDFLARE_EMAIL") or ""
    api_key = args.api_key or env.get("CLOUDFLARE_API_KEY") or ""
    if bool(email) != bool(api_key):
        missing = "--api-key (or CLOUDFLARE_API_KEY)" if email else "--email (or CLOUDFLARE_EMAIL)"
        raise UsageError(f"an email and an API key go together; set {missing} too.")
    if not (token or email):
        token, email, api_key = DEV_TOKEN, DEV_EMAIL, DEV_API_KEY
        credentials = f"development token `{DEV_TOKEN}`, or `{DEV_EMAIL}` with API key `{DEV_API_KEY}`"
    else:
        parts = ("the given token" if token else "", "the given email and API key" if email else "")
        credentials = " and ".join(part for part in parts if part)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}.")
    accounts = tuple(args.account)
    for account in accounts:
        if not account or len(account) > 32:
            raise UsageError(f"--account {account!r} is not an account id (1 to 32 characters).")
    config = MockConfig(
        token=token,
        email=email,
        api_key=api_key,
        accounts=accounts,
        s3_endpoint=args.s3_endpoint,
        rate_limit_rate=args.rate_limit_rate,
        retry_after=args.retry_after,
        server_error_rate=args.server_error_rate,
        latency=args.latency,
        seed=args.seed,
    )
    return config, credentials


def run_mock(args: argparse.Namespace) -> int:
    """Serve the mock until interrupted; exit 0 on Ctrl-C or SIGTERM."""
    from pcaps_contract._credentials import redacting_placeholder
    from pcaps_contract._serving import exposure_warning
    from pcaps_contract.mock._app import API_PREFIX, create_app
    from pcaps_contract.mock._request_log import RequestLog
    from pcaps_contract.mock._server import bind, make_server, serve

    config, credentials = config_from_args(args)
    app: ASGIApp = create_app(config)
    sock = bind(args.host, args.port)
    log = None
    if not args.quiet:  # the secrets a path or query may carry are the ones the mock accepts
        secrets = redacting_placeholder(config.token, config.email, config.api_key, {})
        log = RequestLog(sys.stderr, secrets.redact).start()
        app = log.wrap(app)
    server = make_server(app)
    host, port = sock.getsockname()[:2]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    scope = ", ".join(config.accounts) if config.accounts else "any account"
    where = f"written to {config.s3_endpoint}" if config.s3_endpoint else "held in memory"
    banner = (
        f"mock of the PCAP ownership API at {url}{API_PREFIX} (Ctrl-C stops it)\n"
        f"  accepts: {credentials}; accounts: {scope}\n"
        f"  challenges: {where}; test support: GET {url}/__mock__/accounts/ID/challenges/ID "
        "(check --base-url reads them there to judge validation)"
    )
    if exposed := exposure_warning(sock, "this development mock"):
        banner += "\n" + exposed
    try:
        serve(server, sock, banner)
    finally:
        if log is not None:
            log.close()
    return 0
