"""moto's server handling one request at a time.

The stock `moto_server` serves each request on its own thread, and its backends are not safe
under that: concurrent DynamoDB transactions race and return wrong results. Serialising requests
costs little for tests (~3 ms per call) and makes moto correct under concurrent clients.
"""

import argparse
import signal
import sys

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # Exit cleanly (status 0, flushed log) when the test script stops us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        app,
        threaded=False,
        processes=1,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
