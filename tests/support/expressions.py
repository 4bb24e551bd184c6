"""Ways out of the expression sandbox, each one a diagram's script must be refused."""

from __future__ import annotations

ESCAPES = {
    "generator frames": "(g.gi_frame.f_back for _ in [1])",
    "frames by name": "x = g.gi_frame.f_back.f_globals",
    "dunder attribute": "x = ().__class__.__bases__[0].__subclasses__()",
    "dunder name": "x = __builtins__",
    "dunder key": 'x = date["__class__"]',
    "format": "x = '{0.__class__}'.format(y)",
    "format_map": "x = '{a}'.format_map(y)",
    "power": "x = 10**10**10",
    "long string": "x = 'a' * 10**9",
    "long list": "x = [0] * 10**9",
    "percent format": "x = '%0999999999d' % 1",
    "lambda": "f = lambda: 1",
    "list comprehension": "x = [c for c in 'abc']",
    "dict comprehension": "x = {c: 1 for c in 'abc'}",
    "import": "import os",
    "import function": "x = __import__('os')",
    "eval": "x = eval('1')",
    "open": "x = open('/etc/passwd')",
    "loop": "for i in [1, 2]:\n    x = i",
    "f-string": "x = f'{y!r:>999999999}'",
    "walrus": "x = (y := 1)",
    "deep nesting": "x = " + "-" * 1000 + "1",
}
