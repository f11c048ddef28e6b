"""Operator commands behind ./onething (run through its virtualenv).

serve    API + RQ worker + timer scheduler (+ embedded Redis when REDIS_URL is unset)
worker   one RQ worker process (production: run M of these on any host)
scheduler the timer scheduler (hands due timers to the workers; several may run)
test     the whole test suite (extra arguments go to pytest)
bench    the benchmarks (bench/run.py)
deploy   deploy a matter package (directory or .zip) as its next version
user     create a staff account
migrate  bring the database schema up to date
org      load an organisation file (units and routing tables, YAML or CSV)
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _runtime():
    from engine.config import load_settings
    from engine.runtime import Runtime

    return Runtime(load_settings())


def cmd_serve(args) -> int:
    from engine.adapters.redis_conn import embedded_socket, start_embedded
    from engine.config import load_settings

    settings = load_settings()
    env = dict(os.environ)
    children: list[subprocess.Popen] = []
    if not settings.redis_url:
        children.append(start_embedded(settings))
        env["REDIS_URL"] = f"unix://{embedded_socket(settings)}"
    if not settings.admin_password:
        print(
            "onething: ONETHING_ADMIN_PASSWORD is not set; no admin account is made",
            file=sys.stderr,
        )
    runtime = _runtime()
    runtime.prepare(load_examples=True)
    runtime.close()
    children.append(subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "worker"], env=env))
    children.append(subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "scheduler"], env=env))
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{host}:{port}",
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            "api.wsgi:app",
        ],
        env=env,
        cwd=ROOT,
    )
    children.append(web)
    print(
        f"onething: serving on http://{host}:{port}/ (API at /api, OpenAPI at "
        f"/api/openapi.json); data in {settings.data_dir}",
        flush=True,
    )
    return _supervise(children)


def _supervise(children: list[subprocess.Popen]) -> int:
    """Stop everything when one child dies or we are told to stop."""
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(
                    f"onething: child {child.args[:3]} exited with {child.returncode}",
                    file=sys.stderr,
                )
                code, stopping = child.returncode or 1, True
        time.sleep(0.2)
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    for child in reversed(children):
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    return code


def cmd_worker(args) -> int:
    from workers.worker import run_worker

    return run_worker(burst=args.burst)


def cmd_scheduler(args) -> int:
    if args.once:
        from engine.services import operations

        runtime = _runtime()
        print(f"fired {operations.fire_due(runtime)} due timer(s)")
        return 0
    from workers.scheduler import run_scheduler

    return run_scheduler()


# what `./onething test` checks before the tests: the layers' import contracts
# (.importlinter), then lint and formatting (ruff.toml)
CHECKS = (
    ("import contracts", ["lint-imports", "--no-cache"]),
    ("ruff check", ["ruff", "check", "--quiet", "."]),
    ("ruff format", ["ruff", "format", "--check", "--quiet", "."]),
)


def cmd_test(args) -> int:
    bin_dir = Path(sys.executable).parent
    for name, (tool, *tool_args) in CHECKS:
        code = subprocess.call(
            [str(bin_dir / tool), *tool_args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL if tool == "lint-imports" else None,
        )
        if code != 0:
            if tool == "lint-imports":  # say which contract broke
                subprocess.call([str(bin_dir / tool), "--no-cache"], cwd=ROOT)
            print(f"onething test: {name} failed", file=sys.stderr)
            return code
    return subprocess.call([sys.executable, "-m", "pytest", "tests", *args.pytest_args], cwd=ROOT)


def cmd_bench(args) -> int:
    return subprocess.call(
        [sys.executable, str(ROOT / "bench" / "run.py"), *args.bench_args], cwd=ROOT
    )


def cmd_deploy(args) -> int:
    from engine.errors import Invalid
    from engine.services import catalogue

    source = Path(args.path)
    runtime = _runtime()
    runtime.prepare(load_examples=False)
    try:
        matter = catalogue.deploy_package(
            runtime, None, source.read_bytes() if source.is_file() else source
        )
    except Invalid as exc:
        for problem in exc.extra.get("problems", []):
            print(
                f"{problem['file']}: {problem.get('element') or '-'}: {problem['message']}",
                file=sys.stderr,
            )
        return 2
    print(f"deployed {matter['key']} version {matter['version']}")
    return 0


def cmd_user(args) -> int:
    from engine.errors import DomainError
    from engine.services import accounts

    runtime = _runtime()
    runtime.prepare(load_examples=False)
    password = os.environ.get("ONETHING_USER_PASSWORD") or args.password
    try:
        accounts.add_user(
            runtime,
            None,
            args.username,
            password or "",
            args.display_name or "",
            args.departments,
            args.roles,
        )
    except DomainError as exc:
        print(f"onething: {exc.detail} {exc.errors or ''}", file=sys.stderr)
        return 2
    print(f"created {args.username}")
    return 0


def cmd_org(args) -> int:
    """`org load FILE`: add or update the units of a YAML or CSV file, and its routing tables."""
    from engine.errors import DomainError
    from engine.services import organisation

    runtime = _runtime()
    runtime.prepare(load_examples=False)
    try:
        counts = organisation.load(runtime, organisation.read_file(Path(args.file)))
    except DomainError as exc:
        print(f"onething: {exc.detail}", file=sys.stderr)
        for field, messages in (exc.errors or {}).items():
            print(f"  {field}: {'; '.join(messages)}", file=sys.stderr)
        return 2
    print(
        f"units added {counts['added']}, changed {counts['changed']}; "
        f"routing tables {counts['tables']}"
    )
    return 0


def cmd_migrate(args) -> int:
    _runtime().prepare(load_examples=False)
    print("schema is up to date")
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    parser = argparse.ArgumentParser(
        prog="onething", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve").set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    scheduler = sub.add_parser("scheduler", help="the timer scheduler process")
    scheduler.add_argument(
        "--once",
        action="store_true",
        help="fire what is due now in this process, without Redis, and exit",
    )
    scheduler.set_defaults(func=cmd_scheduler)
    test = sub.add_parser("test")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)
    bench = sub.add_parser("bench", help="the benchmarks (bench/run.py; --quick for CI)")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)
    deploy = sub.add_parser("deploy")
    deploy.add_argument("path")
    deploy.set_defaults(func=cmd_deploy)
    user = sub.add_parser("user", help="password from ONETHING_USER_PASSWORD or --password")
    user.add_argument("username")
    user.add_argument("--password")
    user.add_argument("--display-name")
    user.add_argument("--departments", nargs="*", default=[])
    user.add_argument("--roles", nargs="+", required=True)
    user.set_defaults(func=cmd_user)
    sub.add_parser("migrate").set_defaults(func=cmd_migrate)
    org = sub.add_parser("org", help="the organisation: `org load FILE` (YAML or CSV)")
    org.add_argument("action", choices=["load"])
    org.add_argument("file")
    org.set_defaults(func=cmd_org)
    # REMAINDER does not take leading options (`bench --quick`, `test -k cards`)
    if argv[:1] == ["bench"]:
        return cmd_bench(argparse.Namespace(bench_args=argv[1:]))
    if argv[:1] == ["test"]:
        return cmd_test(argparse.Namespace(pytest_args=argv[1:]))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
