"""`sam local invoke` without a container: one function of template.yaml under AWS's Lambda Runtime
Interface Emulator (the program SAM runs inside its container), given one event.

Run through scripts/invoke, which installs the RIE and the Python packages, starts the AWS
stand-ins when the shell has none, and builds the function. This file: the function's
environment as SAM computes it (sam_env.py), the RIE started on free loopback ports with that
environment and the function's bootstrap, the event sent, the response printed on stdout. The
RIE's and the function's own output (init, logs, REPORT line) go to stderr.

Exit status: 0 when the function answered; 1 when it failed: it answered an error object (printed,
as SAM does) or exited without answering (a failed init); 2 for a usage or set-up problem.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import sam_env

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# What the provided.al2023 image sets for every function besides SAM's variables.
IMAGE_ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
}
INVOCATIONS_PATH = "/2015-03-31/functions/function/invocations"


def free_ports(count):
    """Loopback ports the kernel hands out now, distinct (all held until each is known)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def read_event(args):
    path = args.event_file or args.event
    if path is None:
        return b"{}"
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def start_rie(rie_command, bootstrap, environment):
    """The RIE on free ports, running `bootstrap`; returns the process and the invoke URL."""
    api_port, rie_port = free_ports(2)
    command = rie_command + [
        "--runtime-interface-emulator-address", f"127.0.0.1:{rie_port}",
        "--runtime-api-address", f"127.0.0.1:{api_port}",
    ] + bootstrap
    process = subprocess.Popen(
        command, env=environment, cwd=os.path.dirname(bootstrap[-1]) or ".",
        stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr,
    )
    return process, f"http://127.0.0.1:{rie_port}{INVOCATIONS_PATH}"


def post(url, event, deadline, rie):
    """Sends the event once the RIE listens; the RIE itself starts the function on the first
    invocation and answers when it has (or when the function's timeout passes)."""
    while True:
        if rie.poll() is not None:
            raise OSError(f"the RIE exited with status {rie.returncode} before answering")
        request = urllib.request.Request(url, data=event, method="POST",
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=max(1.0, deadline - time.monotonic())) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except (ConnectionRefusedError, urllib.error.URLError) as error:
            reason = getattr(error, "reason", error)
            if not isinstance(reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def is_error(status, headers, body):
    """An unhandled error comes as 200 with the error object; a runtime that exited (a failed
    init, a crash) as a 502 without a body."""
    if status != 200:
        return True
    if any(k.lower() == "x-amz-function-error" for k in headers):
        return True
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and set(answer) >= {"errorType", "errorMessage"}


def host_architecture():
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine())


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")


def host_bootstrap(binary, release, build):
    """target/<profile>/<binary>, built first (cargo is quick when it is up to date)."""
    if build:
        command = ["cargo", "build", "--locked", "--quiet", "--package", binary]
        if release:
            command.append("--release")
        print(f"invoke: {' '.join(command)}", file=sys.stderr)
        subprocess.run(command, cwd=ROOT, check=True, stdout=sys.stderr)
    return os.path.join(target_dir(), "release" if release else "debug", binary)


def rie_command(rie_dir, arm64):
    """The RIE for the bootstrap's architecture. On another host, arm64 runs under Debian's
    qemu-user-static: the arm64 RIE, which starts the bootstrap through qemu as well (without
    binfmt_misc the kernel cannot run an arm64 child by itself)."""
    if not arm64:
        return [os.path.join(rie_dir, "aws-lambda-rie-x86_64")], []
    if host_architecture() == "arm64":
        return [os.path.join(rie_dir, "aws-lambda-rie-arm64")], []
    qemu = shutil.which("qemu-aarch64-static")
    if not qemu:
        raise OSError("arm64 needs qemu-aarch64-static (Debian: apt-get install qemu-user-static)")
    return [qemu, os.path.join(rie_dir, "aws-lambda-rie-arm64")], [qemu]


def main(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/invoke",
        description="sam local invoke without Docker: a template.yaml function under AWS's Lambda RIE.")
    parser.add_argument("function", help="logical id (GetSessionFunction) or binary name (get-session)")
    parser.add_argument("event_file", nargs="?", help="event file (default: {}); - reads stdin")
    parser.add_argument("-e", "--event", help="event file, as sam local invoke takes it")
    parser.add_argument("-n", "--env-vars", help='JSON: {"<LogicalId>": {VAR: value}, "Parameters": {VAR: value}}')
    parser.add_argument("--parameter-overrides", nargs="+", default=[], metavar="KEY=VALUE",
                        help="template parameter values")
    parser.add_argument("--region", help="AWS::Region and the function's region")
    parser.add_argument("-t", "--template", default=os.path.join(ROOT, "template.yaml"))
    parser.add_argument("--release", action="store_true", help="run target/release/<binary>")
    parser.add_argument("--no-build", action="store_true", help="do not run cargo build first")
    parser.add_argument("--arm64", action="store_true",
                        help="run the shipped artefact, target/lambda/<binary>/bootstrap (scripts/package), "
                             "under the arm64 RIE")
    parser.add_argument("--bootstrap", help="run this function binary instead")
    parser.add_argument("--rie-dir", required=True, help="folder of the RIE binaries (ensure_lambda_rie)")
    args = parser.parse_args(argv)

    try:
        template = sam_env.load_template(args.template)
        config = sam_env.function_config(
            template, args.function,
            parameter_overrides=sam_env.parse_parameter_overrides(args.parameter_overrides),
            env_vars=sam_env.load_env_vars(args.env_vars),
            region=args.region,
        )
        event = read_event(args)
        if args.bootstrap:
            bootstrap = os.path.abspath(args.bootstrap)
        elif args.arm64:
            bootstrap = os.path.join(target_dir(), "lambda", config["binary"], "bootstrap")
        else:
            bootstrap = host_bootstrap(config["binary"], args.release, not args.no_build)
        if not os.access(bootstrap, os.X_OK):
            hint = f"scripts/package {config['binary']}" if args.arm64 else "build it first"
            raise OSError(f"{bootstrap} is not an executable function binary ({hint})")
        rie, wrapper = rie_command(os.path.abspath(args.rie_dir), args.arm64)
    except (sam_env.TemplateError, OSError, ValueError, subprocess.CalledProcessError) as error:
        print(f"invoke: {error}", file=sys.stderr)
        return 2

    environment = dict(IMAGE_ENVIRONMENT, **config["environment"])
    for name in ("QEMU_LD_PREFIX",):
        if args.arm64 and name in os.environ:
            environment[name] = os.environ[name]
    print(f"invoke: {config['logical_id']} ({os.path.relpath(bootstrap, ROOT)}) under {os.path.basename(rie[-1])}",
          file=sys.stderr)
    process, url = start_rie(rie, wrapper + [bootstrap], environment)
    try:
        # The function's own timeout, plus time for the RIE to start and to report it.
        deadline = time.monotonic() + config["timeout"] + 30
        status, headers, body = post(url, event, deadline, process)
    except (OSError, urllib.error.URLError) as error:
        print(f"invoke: no answer from the RIE: {error}", file=sys.stderr)
        return 2
    finally:
        stop(process)
    sys.stdout.buffer.write(body + b"\n")
    sys.stdout.flush()
    if status != 200:
        # What the RIE answers when the runtime exits (a failed init, a crash): no error object.
        print(f"invoke: the RIE answered {status}: the function exited without answering (its log is above)",
              file=sys.stderr)
    return 1 if is_error(status, headers, body) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
