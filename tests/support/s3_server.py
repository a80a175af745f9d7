"""``python -m tests.support.s3_server PORT``: moto's S3 server on 127.0.0.1:PORT, with one wire fix.

moto 5.2.5 answers CompleteMultipartUpload with a ``<CompleteMultipartUploadResponse>`` root, where S3 sends
``<CompleteMultipartUploadResult>``; the AWS C++ SDK under pyarrow takes any other root for an error embedded in a
200 answer and fails every upload. This renames the root element and changes nothing else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

WRONG, RIGHT = b"CompleteMultipartUploadResponse", b"CompleteMultipartUploadResult"


class CompleteMultipartResult:
    """WSGI middleware: the S3 root element of a CompleteMultipartUpload answer."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or "uploadId=" not in environ.get("QUERY_STRING", ""):
            return self.app(environ, start_response)
        captured: list[Any] = []
        body = b"".join(self.app(environ, lambda status, headers, exc_info=None: captured.append((status, headers))))
        body = body.replace(WRONG, RIGHT)
        status, headers = captured[0]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]


def main() -> None:
    port = int(sys.argv[1])
    app = CompleteMultipartResult(DomainDispatcherApplication(create_backend_app))
    make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler).serve_forever()


if __name__ == "__main__":
    main()
