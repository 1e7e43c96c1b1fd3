"""The server's edge: what a connection meets before the API or a Session.

A deadline for each HTTP request, caps on open connections, the client's address behind trusted
proxies, the origins allowed to open /ws and the security headers of every HTTP response.
"""
