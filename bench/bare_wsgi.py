"""A WSGI application that answers every request with two bytes and nothing else.

`web_bench.py` serves it with the same gunicorn settings as the portal and loads it at the
detail page's rate: the `gunicorn alone` row is what a request costs before Django or the
portal does anything (accepting the connection, parsing, the WSGI call, closing).
"""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
