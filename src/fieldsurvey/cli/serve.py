"""``fieldsurvey serve``: the HTTP sync server over the central store; issue tokens.

Examples::

    fieldsurvey serve --db central.sqlite --host 0.0.0.0 --port 8765
    fieldsurvey serve --db central.sqlite --issue-tokens stores/int*.sqlite --sheet tokens.txt
    fieldsurvey serve --db central.sqlite --add-user 王芳 --role supervisor
    fieldsurvey serve --db central.sqlite --set-password 王芳
    fieldsurvey serve --db central.sqlite --web --host 0.0.0.0 --port 8765
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``serve`` verb."""
    p = subparsers.add_parser(
        "serve", help="serve the central store to the team's devices over HTTP (sync)",
        description="Run the sync server over the central store: devices push what they "
                    "recorded and pull their own interviewer's updates (fieldsurvey sync), "
                    "each with its own token. With --issue-tokens or --add-user it issues "
                    "tokens and exits instead.")
    p.add_argument("--db", required=True, help="the central store (central.sqlite)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every network; default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--certfile", help="TLS certificate (PEM): serve https")
    p.add_argument("--keyfile", help="the certificate's private key (PEM)")
    p.add_argument("--issue-tokens", nargs="+", metavar="STORE",
                   help="give these device stores new tokens (kept in each store, only "
                   "their hash in --db), print the team sheet and exit")
    p.add_argument("--sheet", help="also write the team sheet to this file (0600)")
    p.add_argument("--add-user", metavar="NAME",
                   help="issue a token for a supervisor or HQ reviewer and exit")
    p.add_argument("--role", choices=("supervisor", "hq"), default="supervisor",
                   help="the role of --add-user or --set-password (default supervisor)")
    p.add_argument("--web", action="store_true",
                   help="also serve the supervisor view in a browser at /web/ (login with "
                   "a password set by --set-password)")
    p.add_argument("--set-password", metavar="NAME",
                   help="set the browser password of supervisor NAME (asked twice, or read "
                   "from --password-file) and exit")
    p.add_argument("--password-file", help="read --set-password's password from this "
                   "file's first line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Issue tokens, or serve until interrupted."""
    import logging

    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.store.sync import tokens

    if args.set_password:
        from fieldsurvey.cli._web import set_password_from

        user = set_password_from(args.db, args.set_password, args.role, args.password_file)
        out_console.print(f"browser password set for {user.name} ({user.role})",
                          markup=False)
        return 0
    if args.issue_tokens or args.add_user:
        issued = (tokens.issue_tokens(args.db, args.issue_tokens) if args.issue_tokens
                  else [tokens.add_user(args.db, args.add_user, args.role)])
        for t in issued:
            out_console.print(f"{t.interviewer}\t{t.device_id}\t{t.role}\t{t.token}",
                              markup=False, soft_wrap=True)
        if args.sheet:
            out_console.print(f"team sheet: {tokens.write_sheet(args.sheet, issued)}",
                              markup=False, soft_wrap=True)
        return 0
    if bool(args.certfile) != bool(args.keyfile) and not args.certfile:
        from fieldsurvey.io.errors import InputError

        raise InputError("--keyfile needs --certfile", field="--certfile")
    from fieldsurvey.store.sync.server import serve

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")

    def ready(url: str) -> None:
        print(f"serving {args.db} on {url} (Ctrl-C stops)", flush=True)
        if args.web:
            print(f"supervisors in a browser: {url}/web/", flush=True)

    extend = None
    if args.web:
        from pathlib import Path

        from fieldsurvey.cli._web import WebView

        extend = WebView(Path(args.db), secure=bool(args.certfile)).install
    serve(args.db, host=args.host, port=args.port, certfile=args.certfile,
          keyfile=args.keyfile, ready=ready, extend=extend)
    return 0
