"""`flashgen review`: a page on 127.0.0.1 to approve, reject and edit items beside their source.

``items`` builds the page's view of a lecture (each item, its review state, its source chunk);
``changes`` makes every change through the review state the CLI uses, under the run lock;
``server`` is the Starlette app, its guard (Host, Origin, token) and how it is served.
"""
