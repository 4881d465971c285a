"""`python -m simulator`: one simulated payment platform or bank as its own process, push or pull.

A bank (`--partner bank-east`, `bank-river`, `bank-coast`) answers the banks' kinds from the
seeded ledger (`simulator.ledger`) and verifies every instruction's unit signature with the
units' keys fetched from `--gateway`'s `/signing-keys/` (again when an unknown key id comes).

Pull mode signs with the adapter's key: `AFX_KEY_ID` and `AFX_PRIVATE_KEY` (or `--private-key
@file`), best passed through the environment, where other users cannot read them from the
process list. Push mode verifies the gateway's signatures with its public key(s),
`AFX_GATEWAY_PUBLIC_KEY`, or, without it, fetched once from `--gateway`'s `/signing-keys/`.

A telecom (`--partner tel-east`) answers `number_block` queries (`simulator.telecom`): numbers
blocked in memory, protected numbers refused, the seed choosing the numbers blocked already.

Standard output gets one line when ready, then one line per answered query (`<id> <status>`,
no personal data); logs go to standard error. SIGTERM or SIGINT stops the process cleanly.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import threading

from afx_sdk import (
    ORDER_LOOKUP,
    GatewayClient,
    Handler,
    HandlerRegistry,
    PullLoop,
    PushReceiver,
    fetch_gateway_keys,
    fetch_unit_keys,
    gateway_keys_from_text,
    serve,
    signing,
    stop_on_signals,
)
from afx_sdk.errors import GatewayError

from .bank import BANK_KINDS, SimulatedBank, UnitKeyring
from .dataset import DEFAULT_ORDERS, DEFAULT_SEED, SERIAL_SPACE, Dataset
from .ledger import ledger
from .platform import (
    Downtime,
    FaultyHandler,
    OrderLookupHandler,
    PollingPausedWhileDown,
    answer_printer,
    unavailable_while_down,
)
from .tables import BANK_PARTNERS, PLATFORMS, TELECOM_PARTNERS
from .telecom import TELECOM_KINDS, SimulatedTelecom


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--partner",
        required=True,
        choices=sorted([*PLATFORMS, *BANK_PARTNERS, *TELECOM_PARTNERS]),
        help="the platform's, bank's or telecom's code",
    )
    parser.add_argument("--mode", required=True, choices=("push", "pull"))
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")

    data = parser.add_argument_group("data set")
    data.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    data.add_argument("--seed", type=int, default=DEFAULT_SEED)

    faults = parser.add_argument_group("faults")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    faults.add_argument("--error-rate", type=float, default=0.0, help="share of queries that raise (0..1)")
    faults.add_argument("--down-after", type=float, default=0.0, help="seconds from start until downtime")
    faults.add_argument(
        "--down-for", "--down-seconds", type=float, default=0.0, help="seconds of downtime (0: none)"
    )

    push = parser.add_argument_group("push mode")
    push.add_argument("--host", default="127.0.0.1")
    push.add_argument("--port", type=int, default=8101, help="0 picks a free port, printed when ready")
    push.add_argument("--path", default="/afx/webhook")
    push.add_argument(
        "--gateway-public-key",
        default=os.environ.get("AFX_GATEWAY_PUBLIC_KEY"),
        help="the gateway's public key(s), comma-separated, or @file (default: fetched from --gateway)",
    )

    pull = parser.add_argument_group("pull mode")
    pull.add_argument("--key-id", default=os.environ.get("AFX_KEY_ID"), help="the adapter key's id")
    pull.add_argument(
        "--private-key", default=os.environ.get("AFX_PRIVATE_KEY"), help="the adapter's private key, or @file"
    )
    pull.add_argument("--concurrency", type=int, default=4)
    pull.add_argument("--wait", type=int, default=25, help="long-poll seconds (0..25)")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.orders <= SERIAL_SPACE:
        parser.error(f"--orders is between 1 and {SERIAL_SPACE}")
    if not 0.0 <= args.error_rate <= 1.0:
        parser.error("--error-rate is a share between 0 and 1")
    try:
        if args.mode == "pull":
            if not (args.key_id and args.private_key):
                parser.error("pull mode needs --key-id and --private-key (or AFX_KEY_ID and AFX_PRIVATE_KEY)")
            args.private_key = signing.load_private_key(signing.read_key_argument(args.private_key))
        else:
            args.gateway_keys = (
                gateway_keys_from_text(signing.read_key_argument(args.gateway_public_key))
                if args.gateway_public_key
                else fetch_gateway_keys(args.gateway)
            )
            if not args.gateway_keys:
                parser.error("push mode needs the gateway's public key: none was given or published")
    except (ValueError, OSError) as error:
        parser.error(str(error))  # the messages name the format, never the key
    except GatewayError as error:
        parser.error(f"could not fetch the gateway's keys (or set AFX_GATEWAY_PUBLIC_KEY): {error}")
    return args


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per poll would drown the rest
    if args.partner in TELECOM_PARTNERS:
        handler = telecom_handler(args)
    else:
        handler = bank_handler(args) if args.partner in BANK_PARTNERS else platform_handler(args)
    downtime = Downtime(after=args.down_after, duration=args.down_for)
    stop = stop_on_signals()
    (run_push if args.mode == "push" else run_pull)(args, handler, downtime, stop)
    return 0


def platform_handler(args: argparse.Namespace) -> Handler:
    return HandlerRegistry(
        {
            ORDER_LOOKUP: OrderLookupHandler(
                Dataset(args.partner, seed=args.seed, orders=args.orders),
                latency_seconds=args.latency_ms / 1000,
                error_rate=args.error_rate,
                rng=random.Random(args.seed),  # noqa: S311 - fault injection, not secrets
            )
        }
    )


def bank_handler(args: argparse.Namespace) -> Handler:
    """The bank over the ledger; the platforms' orders (its tier-1 statements) are scanned on a
    background thread from the start, so the first stop-payment does not wait for the scan."""
    bank = SimulatedBank(
        args.partner,
        ledger(args.seed),
        UnitKeyring(lambda: fetch_unit_keys(args.gateway)),
        seed=args.seed,
        orders=args.orders,
    )
    threading.Thread(target=bank.warm, name="bank-statements", daemon=True).start()
    faulty = FaultyHandler(
        bank,
        latency_seconds=args.latency_ms / 1000,
        error_rate=args.error_rate,
        rng=random.Random(args.seed),  # noqa: S311 - fault injection, not secrets
    )
    return HandlerRegistry(dict.fromkeys(BANK_KINDS, faulty))


def telecom_handler(args: argparse.Namespace) -> Handler:
    """The telecom, its blocks in memory, with the configured faults."""
    faulty = FaultyHandler(
        SimulatedTelecom(args.partner, seed=args.seed),
        latency_seconds=args.latency_ms / 1000,
        error_rate=args.error_rate,
        rng=random.Random(args.seed),  # noqa: S311 - fault injection, not secrets
    )
    return HandlerRegistry(dict.fromkeys(TELECOM_KINDS, faulty))


def run_push(args: argparse.Namespace, handler: Handler, downtime: Downtime, stop: threading.Event) -> None:
    receiver = PushReceiver(
        handler,
        gateway_keys=args.gateway_keys,
        # Keys fetched from the gateway are fetched again when it rotates them; given ones are fixed.
        key_fetcher=None if args.gateway_public_key else lambda: fetch_gateway_keys(args.gateway),
        path=args.path,
        on_answer=answer_printer(sys.stdout),
    )
    serve(
        unavailable_while_down(receiver, downtime),
        args.host,
        args.port,
        stop=stop,
        on_ready=lambda port: say(
            f"simulator {args.partner} push: listening on http://{args.host}:{port}{args.path}"
        ),
    )


def run_pull(args: argparse.Namespace, handler: Handler, downtime: Downtime, stop: threading.Event) -> None:
    with GatewayClient(args.gateway, args.key_id, args.private_key) as client:
        loop = PullLoop(
            PollingPausedWhileDown(client, downtime, stop),
            handler,
            wait=args.wait,
            concurrency=args.concurrency,
            stop=stop,
            on_answer=answer_printer(sys.stdout),
        )
        say(f"simulator {args.partner} pull: polling {args.gateway}")
        loop.run()
