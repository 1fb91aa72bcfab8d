"""Just enough Lua to read and edit ``prosody.cfg.lua`` without running it.

The tokenizer knows all of Lua 5.4's lexical rules (strings with escapes, long brackets,
comments, numbers) so that a ``--`` inside a string or a ``}`` inside a comment can never move
a span. The parser accepts only the statements a Prosody config is made of: ``name = expr``,
``local`` declarations, ``VirtualHost``/``Component``/``Include`` calls and empty ``;``.
Anything else is refused with the file and line, because an editor that guesses where a value
ends can corrupt a server's configuration.

Expressions are parsed for their extent only; a value is turned into Python only when it is a
literal (string, number, boolean, nil, or a table of those). Everything else stays opaque.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeAlias

KEYWORDS = frozenset(
    {"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if"}
    | {"in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}
)
HOST_FUNCS = frozenset({"VirtualHost", "virtualhost", "Host", "host"})
COMPONENT_FUNCS = frozenset({"Component", "component"})
INCLUDE_FUNCS = frozenset({"Include", "include"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(
    r"0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    r"|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_LONG_OPEN = re.compile(r"\[(=*)\[")
_OPS = ("...", "..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>")
_SINGLE_OPS = frozenset("+-*/%^#&~|<>=(){}[];:,.")
_UNOPS = frozenset({"-", "not", "#", "~"})
_BINOPS = frozenset(
    {"+", "-", "*", "/", "//", "%", "^", "..", "==", "~=", "<", "<=", ">", ">=", "and", "or"}
    | {"&", "|", "~", "<<", ">>"}
)
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPES |= {"\\": "\\", '"': '"', "'": "'"}


class ProsodyConfigError(Exception):
    """A config that cannot be read or edited with confidence; names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"

    def details(self) -> dict[str, Any]:
        """What a module returns beside ``msg`` when it fails with this error."""
        return {"file": self.path, "line": self.line}


@dataclass(frozen=True)
class Token:
    kind: str  # name, keyword, string, number, op, eof
    text: str
    start: int
    end: int
    value: Any = None


@dataclass(frozen=True)
class Expr:
    """An expression's span; ``value`` is meaningful only when ``literal`` is true."""

    start: int
    end: int
    literal: bool
    value: Any = None
    table_sep: str | None = None  # the separator a table literal uses, to write in its style


@dataclass(frozen=True)
class Assignment:
    name: str
    start: int  # the option name
    end: int  # after the value, and after a ``;`` that closes the statement
    value: Expr


@dataclass(frozen=True)
class SectionHeader:
    kind: str  # "VirtualHost" or "Component"
    name: str  # with ``dynamic``: a label (the Lua source of the name), never a host name
    module: str | None
    start: int
    end: int
    dynamic: bool = False  # the name is computed (``VirtualHost(os.getenv("DOMAIN"))``)


@dataclass(frozen=True)
class IncludeStatement:
    pattern: str
    start: int
    end: int


@dataclass(frozen=True)
class OtherStatement:
    """A statement that sets no option (``local x = ...``): kept, never edited."""

    start: int
    end: int


@dataclass(frozen=True)
class Unevaluated:
    """Code the editor does not evaluate (an ``if`` block, a loop, a call, ``a.b = x``): kept
    as it is; ``assigns`` names the options it may set (None: it may set anything)."""

    start: int
    end: int
    reason: str
    assigns: frozenset[str] | None
    declares_hosts: bool = False  # a loop of VirtualHost calls: the section after it is unknown


Statement: TypeAlias = "Assignment | IncludeStatement | OtherStatement | Unevaluated"


@dataclass(frozen=True)
class Block:
    """The global block (``header`` is None) or one VirtualHost/Component line and what follows."""

    header: SectionHeader | None
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Chunk:
    """One parsed file: its text, blocks in order, and where its comments are."""

    path: str
    text: str
    blocks: tuple[Block, ...]
    comments: tuple[tuple[int, int], ...] = field(repr=False)

    def line_of(self, offset: int) -> int:
        return line_of(self.text, offset)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _long_bracket_end(text: str, pos: int, level: int) -> int:
    """Offset after the ``]==]`` closing a long bracket opened before ``pos``, or -1."""
    closing = "]" + "=" * level + "]"
    found = text.find(closing, pos)
    return -1 if found < 0 else found + len(closing)


def _unescape(raw: str, fail: Any) -> str:
    """The value of a short string's body, with Lua's escapes (bytes kept as surrogates)."""
    out = bytearray()
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch != "\\":
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt].encode()
            i += 2
        elif nxt in ("\n", "\r"):
            pair = raw[i + 1 : i + 3]
            out += b"\n"
            i += 3 if pair in ("\r\n", "\n\r") else 2
        elif nxt == "z":
            i += 2
            while i < len(raw) and raw[i] in " \t\r\n\f\v":
                i += 1
        elif nxt == "x":
            digits = raw[i + 2 : i + 4]
            if not re.fullmatch(r"[0-9a-fA-F]{2}", digits):
                fail(i, "invalid \\x escape in a string")
            out.append(int(digits, 16))
            i += 4
        elif nxt.isdigit():
            digits = re.match(r"[0-9]{1,3}", raw[i + 1 :]).group(0)  # type: ignore[union-attr]
            if int(digits) > 255:
                fail(i, "decimal escape too large in a string")
            out.append(int(digits))
            i += 1 + len(digits)
        elif nxt == "u":
            match = re.match(r"u\{([0-9a-fA-F]+)\}", raw[i + 1 :])
            if not match or int(match.group(1), 16) > 0x7FFFFFFF:
                fail(i, "invalid \\u escape in a string")
            code = int(match.group(1), 16)  # type: ignore[union-attr]
            out += chr(code).encode("utf-8", "surrogatepass") if code < 0x110000 else b"?"
            i += 1 + len(match.group(0))  # type: ignore[union-attr]
        else:
            fail(i, f"invalid escape sequence '\\{nxt}' in a string")
    return out.decode("utf-8", "surrogateescape")


def _number_value(text: str) -> int | float:
    low = text.lower()
    if low.startswith("0x"):
        if "." in low or "p" in low:
            return float.fromhex(text)
        return int(text, 16)
    if "." in low or "e" in low:
        return float(text)
    return int(text)


def tokenize(text: str, path: str) -> tuple[list[Token], list[tuple[int, int]]]:
    """Tokens (comments and white space left out) and the spans of the comments."""

    def fail(offset: int, message: str) -> NoReturn:
        raise ProsodyConfigError(path, line_of(text, offset), message)

    if text.startswith("\ufeff"):
        fail(
            0,
            "the file starts with a UTF-8 byte order mark: Prosody loads its config with"
            " Lua's load(), which does not skip one, so Prosody itself cannot read this file;"
            " remove the mark",
        )
    tokens: list[Token] = []
    comments: list[tuple[int, int]] = []
    pos, size = 0, len(text)
    while pos < size:
        ch = text[pos]
        if ch in " \t\r\n\f\v":
            pos += 1
        elif text.startswith("--", pos):
            opening = _LONG_OPEN.match(text, pos + 2)
            if opening:
                end = _long_bracket_end(text, opening.end(), len(opening.group(1)))
                if end < 0:
                    fail(pos, "unfinished long comment")
            else:
                newline = text.find("\n", pos)
                end = size if newline < 0 else newline
                if end > pos and text[end - 1] == "\r":
                    end -= 1
            comments.append((pos, end))
            pos = end
        elif ch.isalpha() or ch == "_":
            match = _NAME.match(text, pos)
            if match is None:  # a letter outside ASCII: Lua names are ASCII only
                fail(pos, f"unexpected character {ch!r}")
            word = match.group(0)
            tokens.append(Token("keyword" if word in KEYWORDS else "name", word, pos, match.end()))
            pos = match.end()
        elif ch.isdigit() or (ch == "." and text[pos + 1 : pos + 2].isdigit()):
            match = _NUMBER.match(text, pos)
            if not match or re.match(r"[A-Za-z0-9_.]", text[match.end() : match.end() + 1]):
                fail(pos, "malformed number")
            raw = match.group(0)
            tokens.append(Token("number", raw, pos, match.end(), _number_value(raw)))
            pos = match.end()
        elif ch in "\"'":
            end = pos + 1
            while True:
                if end >= size or text[end] in "\r\n":
                    fail(pos, "unfinished string")
                if text[end] == "\\":
                    end += 3 if text[end + 1 : end + 3] in ("\r\n", "\n\r") else 2
                    if text[end - 1] == "z":  # \z skips the white space after it, newlines too
                        while end < size and text[end] in " \t\r\n\f\v":
                            end += 1
                    continue
                if text[end] == ch:
                    break
                end += 1
            body = text[pos + 1 : end]
            value = _unescape(body, lambda i, m, base=pos + 1: fail(base + i, m))
            tokens.append(Token("string", text[pos : end + 1], pos, end + 1, value))
            pos = end + 1
        elif ch == "[" and (opening := _LONG_OPEN.match(text, pos)):
            end = _long_bracket_end(text, opening.end(), len(opening.group(1)))
            if end < 0:
                fail(pos, "unfinished long string")
            body = text[opening.end() : end - len(opening.group(1)) - 2]
            # Lua drops a newline right after the opening bracket, and reads any newline as \n.
            body = re.sub(r"^(\r\n|\n\r|\n|\r)", "", body)
            body = re.sub(r"\r\n|\n\r|\r", "\n", body)
            tokens.append(Token("string", text[pos:end], pos, end, body))
            pos = end
        else:
            op = next((o for o in _OPS if text.startswith(o, pos)), None)
            if op is None and ch in _SINGLE_OPS:
                op = ch
            if op is None:
                fail(pos, f"unexpected character {ch!r}")
            tokens.append(Token("op", op, pos, pos + len(op)))
            pos += len(op)
    tokens.append(Token("eof", "", size, size))
    return tokens, comments


class _Parser:
    def __init__(self, text: str, path: str, tolerant: bool = False) -> None:
        self.text = text
        self.path = path
        self.tolerant = tolerant
        self.tokens, self.comments = tokenize(text, path)
        self.i = 0

    # --- helpers -----------------------------------------------------------------------------
    def fail(self, token: Token, message: str) -> ProsodyConfigError:
        return ProsodyConfigError(self.path, line_of(self.text, token.start), message)

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def is_op(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "op" and token.text == text

    def expect_op(self, text: str, context: str) -> Token:
        if not self.is_op(text):
            got = self.peek().text or "end of file"
            raise self.fail(self.peek(), f"expected '{text}' {context}, found '{got}'")
        return self.take()

    def describe(self, token: Token) -> str:
        return f"'{token.text}'" if token.text else "end of file"

    # --- statements --------------------------------------------------------------------------
    def chunk(self) -> Chunk:
        blocks: list[Block] = []
        header: SectionHeader | None = None
        statements: list[Statement] = []
        while self.peek().kind != "eof":
            token = self.peek()
            if self.is_op(";"):
                self.take()
                continue
            mark = self.i
            try:
                if token.kind == "name" and self.is_op("=", 1):
                    statements.append(self.assignment())
                elif token.kind == "name" and token.text in HOST_FUNCS | COMPONENT_FUNCS:
                    new_header = self.section_header()
                    blocks.append(Block(header, tuple(statements)))
                    header, statements = new_header, []
                elif token.kind == "name" and token.text in INCLUDE_FUNCS:
                    start = self.take().start
                    pattern, end = self.string_argument(token.text)
                    statements.append(IncludeStatement(pattern, start, self.semicolon(end)))
                elif token.kind == "keyword" and token.text == "local":
                    statements.append(self.local())
                elif token.kind == "name":
                    following = self.peek(1)
                    raise self.fail(
                        token,
                        f"unsupported statement: '{token.text}' followed by"
                        f" {self.describe(following)} (only 'option = value', VirtualHost,"
                        " Component, Include and local are understood)",
                    )
                else:
                    raise self.fail(
                        token, f"unexpected {self.describe(token)} at the start of a line"
                    )
            except ProsodyConfigError:
                inline = token.text in HOST_FUNCS | COMPONENT_FUNCS and (
                    self.tokens[mark + 1].kind == "string"
                )
                if not self.tolerant or inline:
                    raise
                self.i = mark
                statement = self.unevaluated()
                if isinstance(statement, SectionHeader):
                    blocks.append(Block(header, tuple(statements)))
                    header, statements = statement, []
                elif statement.declares_hosts:
                    blocks.append(Block(header, (*statements, statement)))
                    # The header spans the code: an option of the section before it is
                    # inserted before the code, one of the section it opens after it.
                    # Labelled by its code, not its line: the label must survive an edit above.
                    code = self.text[statement.start : statement.end].splitlines()[0].strip()
                    label = f"(the section left open by: {code})"
                    header = SectionHeader(
                        "VirtualHost", label, None, statement.start, statement.end, dynamic=True
                    )
                    statements = []
                else:
                    statements.append(statement)
        blocks.append(Block(header, tuple(statements)))
        return Chunk(self.path, self.text, tuple(blocks), tuple(self.comments))

    def semicolon(self, end: int) -> int:
        while self.is_op(";"):  # ";;" too: an insertion after the statement goes after both
            end = self.take().end
        return end

    def assignment(self) -> Assignment:
        name = self.take()
        self.take()  # '='
        value = self.expression()
        if self.is_op(","):
            raise self.fail(self.peek(), f"'{name.text}': multiple values are not supported")
        return Assignment(name.text, name.start, self.semicolon(value.end), value)

    def local(self) -> OtherStatement:
        start = self.take().start
        if self.peek().kind != "name":
            raise self.fail(self.peek(), "only 'local name = value' is supported")
        end = self.take().end
        while self.is_op(","):
            self.take()
            if self.peek().kind != "name":
                raise self.fail(self.peek(), "expected a name after ',' in 'local'")
            end = self.take().end
        if self.is_op("="):
            self.take()
            end = self.expression().end
            while self.is_op(","):
                self.take()
                end = self.expression().end
        return OtherStatement(start, self.semicolon(end))

    def string_argument(self, func: str) -> tuple[str, int]:
        """The single literal-string argument of ``func "x"`` or ``func("x")``."""
        token = self.peek()
        if token.kind == "string":
            self.take()
            return token.value, token.end
        if self.is_op("(") and self.peek(1).kind == "string" and self.is_op(")", 2):
            self.take()
            value = self.take().value
            return value, self.take().end
        raise self.fail(token, f"{func} needs one literal string, found {self.describe(token)}")

    def section_header(self) -> SectionHeader:
        func = self.take()
        name, end = self.string_argument(func.text)
        kind = "VirtualHost" if func.text in HOST_FUNCS else "Component"
        module = None
        if kind == "Component" and (self.peek().kind == "string" or self.is_op("(")):
            module, end = self.string_argument(f'Component "{name}"')
        following = self.peek()
        if following.kind == "string" or (following.kind == "op" and following.text in "({"):
            raise self.fail(
                following,
                f'{kind} "{name}" is followed by {self.describe(following)}: inline option'
                " tables and further arguments are not supported",
            )
        return SectionHeader(kind, name, module, func.start, self.semicolon(end))

    # --- code that is kept but not evaluated --------------------------------------------------
    def unevaluated(self) -> Unevaluated | SectionHeader:
        """The statement at the cursor as code kept unevaluated, or a section header whose
        name is computed; refuses (file, line) what is not a complete Lua statement."""
        first = self.peek()
        if first.kind == "name" and first.text in HOST_FUNCS | COMPONENT_FUNCS:
            return self.dynamic_header()
        begin = self.i
        if first.kind == "keyword" and first.text in _BLOCK_STARTS:
            self.skip_block()
            what = f"'{first.text}' block"
        elif first.kind == "keyword" and first.text == "local" and self.peek(1).text == "function":
            self.take()
            self.skip_block()
            what = "local function"
        elif first.kind == "name" or self.is_op("("):
            self.suffixed_expression()
            if self.is_op("=") or self.is_op(","):
                while self.is_op(","):
                    self.take()
                    self.suffixed_expression()
                self.expect_op("=", "in an assignment")
                self.expression()
                while self.is_op(","):
                    self.take()
                    self.expression()
                what = "assignment to a computed target"
            elif self.tokens[self.i - 1].kind == "string" or self.tokens[self.i - 1].text in ")}":
                what = "function call"
            else:
                raise self.fail(first, f"unexpected {self.describe(first)}: not a statement")
        else:
            raise self.fail(first, f"unexpected {self.describe(first)} at the start of a line")
        tokens = self.tokens[begin : self.i]
        end = self.semicolon(tokens[-1].end)
        line = line_of(self.text, first.start)
        hosts = any(t.kind == "name" and t.text in HOST_FUNCS | COMPONENT_FUNCS for t in tokens)
        reason = f"{what} at line {line}"
        return Unevaluated(first.start, end, reason, _assigned_names(tokens), hosts)

    def skip_block(self) -> None:
        """Past the ``end`` (or ``until`` and its condition) closing the block at the cursor."""
        depth = 0
        opening = self.peek()
        while True:
            token = self.take()
            if token.kind == "eof":
                raise self.fail(opening, f"unfinished '{opening.text}' block: missing 'end'")
            if token.kind != "keyword":
                continue
            if token.text in ("if", "do", "function", "repeat"):
                depth += 1
            elif token.text in ("end", "until"):
                depth -= 1
                if token.text == "until":
                    self.expression()
                if depth == 0:
                    return

    def dynamic_header(self) -> SectionHeader:
        """``VirtualHost(DOMAIN)``: a section whose name is only known when Prosody runs."""
        func = self.take()
        self.expect_op("(", f"after {func.text}")
        first = self.i
        argument = self.expression()
        parts = self.tokens[first : self.i]
        end = self.expect_op(")", f"to close {func.text}(").end
        kind = "VirtualHost" if func.text in HOST_FUNCS else "Component"
        module = None
        if kind == "Component" and (self.peek().kind == "string" or self.is_op("(")):
            module, end = self.string_argument(f"{func.text}(...)")
        end = self.semicolon(end)
        strings = parts[::2]
        joined = all(t.kind == "string" for t in strings) and all(
            t.text == ".." for t in parts[1::2]
        )
        if joined:  # VirtualHost("chat" .. ".example"): constant strings joined
            name = "".join(t.value for t in strings)
            return SectionHeader(kind, name, module, func.start, end)
        label = self.text[argument.start : argument.end]
        return SectionHeader(kind, label, module, func.start, end, dynamic=True)

    # --- expressions -------------------------------------------------------------------------
    def expression(self) -> Expr:
        token = self.peek()
        if (token.kind in ("op", "keyword")) and token.text in _UNOPS:
            self.take()
            operand = self.expression_operand()
            folded = (
                token.text == "-"
                and operand.literal
                and isinstance(operand.value, int | float)
                and not isinstance(operand.value, bool)
            )
            expr = Expr(token.start, operand.end, folded, -operand.value if folded else None)
        else:
            expr = self.simple_expression()
        while (self.peek().kind in ("op", "keyword")) and self.peek().text in _BINOPS:
            self.take()
            right = self.expression()
            expr = Expr(expr.start, right.end, False)
        return expr

    def expression_operand(self) -> Expr:
        """The operand of a unary operator (which binds tighter than binary ones but '^')."""
        token = self.peek()
        if (token.kind in ("op", "keyword")) and token.text in _UNOPS:
            self.take()
            inner = self.expression_operand()
            return Expr(token.start, inner.end, False)
        expr = self.simple_expression()
        if self.is_op("^"):
            self.take()
            right = self.expression_operand()
            expr = Expr(expr.start, right.end, False)
        return expr

    def simple_expression(self) -> Expr:
        token = self.peek()
        if token.kind in ("number", "string"):
            self.take()
            return Expr(token.start, token.end, True, token.value)
        if token.kind == "keyword" and token.text in ("nil", "true", "false"):
            self.take()
            value = {"nil": None, "true": True, "false": False}[token.text]
            return Expr(token.start, token.end, True, value)
        if self.is_op("..."):
            self.take()
            return Expr(token.start, token.end, False)
        if self.is_op("{"):
            return self.table()
        if token.kind == "keyword" and token.text == "function":
            raise self.fail(token, "function definitions in option values are not supported")
        return self.suffixed_expression()

    def suffixed_expression(self) -> Expr:
        token = self.peek()
        if token.kind == "name":
            start = self.take().start
            end = token.end
        elif self.is_op("("):
            start = self.take().start
            self.expression()
            end = self.expect_op(")", "to close '('").end
        else:
            raise self.fail(token, f"expected a value, found {self.describe(token)}")
        while True:
            nxt = self.peek()
            if self.is_op("."):
                self.take()
                if self.peek().kind != "name":
                    raise self.fail(self.peek(), "expected a name after '.'")
                end = self.take().end
            elif self.is_op("["):
                self.take()
                self.expression()
                end = self.expect_op("]", "to close '['").end
            elif self.is_op(":"):
                self.take()
                if self.peek().kind != "name":
                    raise self.fail(self.peek(), "expected a method name after ':'")
                self.take()
                end = self.call_arguments()
            elif nxt.kind == "string" or self.is_op("(") or self.is_op("{"):
                end = self.call_arguments()
            else:
                return Expr(start, end, False)

    def call_arguments(self) -> int:
        token = self.peek()
        if token.kind == "string":
            return self.take().end
        if self.is_op("{"):
            return self.table().end
        self.expect_op("(", "for call arguments")
        if not self.is_op(")"):
            self.expression()
            while self.is_op(","):
                self.take()
                self.expression()
        return self.expect_op(")", "to close the call").end

    def table(self) -> Expr:
        start = self.take().start
        literal = True
        positional: list[Any] = []
        keyed: dict[Any, Any] = {}
        seps: list[str] = []
        while not self.is_op("}"):
            if self.peek().kind == "eof":
                raise self.fail(self.tokens[self.i - 1], "unfinished table: missing '}'")
            if self.is_op("["):
                self.take()
                key = self.expression()
                self.expect_op("]", "to close a table key")
                self.expect_op("=", "after a table key")
                value = self.expression()
                usable = key.literal and key.value is not None and key.value == key.value
                if usable and value.literal:
                    keyed[_normal_key(key.value)] = value.value
                else:
                    literal = False
            elif self.peek().kind == "name" and self.is_op("=", 1):
                key_name = self.take().text
                self.take()
                value = self.expression()
                if value.literal:
                    keyed[key_name] = value.value
                else:
                    literal = False
            else:
                value = self.expression()
                if value.literal:
                    positional.append(value.value)
                else:
                    literal = False
            if self.is_op(",") or self.is_op(";"):
                seps.append(self.take().text)
            elif not self.is_op("}"):
                raise self.fail(
                    self.peek(),
                    f"expected ',' ';' or '}}' in a table, found {self.describe(self.peek())}",
                )
        end = self.take().end
        sep = max(set(seps), key=seps.count) if seps else None
        if not literal:
            return Expr(start, end, False, table_sep=sep)
        return Expr(start, end, True, _table_value(positional, keyed), table_sep=sep)


_BLOCK_STARTS = frozenset({"if", "do", "while", "for", "function", "repeat"})
# Names through which code may set any option, or read files that may.
_ANYTHING = frozenset({"_ENV", "_G", "rawset", "setmetatable", "load", "loadfile", "dofile"})
_ANYTHING |= {"require", "RunScript"} | INCLUDE_FUNCS


def _assigned_names(tokens: list[Token]) -> frozenset[str] | None:
    """The option names a statement may set: every name written to, or a field of which is
    written to; None when it may set anything (``_ENV``, ``rawset``, an Include)."""
    names: set[str] = set()
    for index, token in enumerate(tokens):
        if token.kind != "name":
            continue
        if token.text in _ANYTHING:
            return None
        before = tokens[index - 1].text if index else ""
        if before not in (".", ":") and _written(tokens, index + 1):
            names.add(token.text)
    return frozenset(names)


def _written(tokens: list[Token], at: int) -> bool:
    """Whether the name before ``at`` is assigned: ``name =``, ``name.a.b =``, ``name[k] =``
    (``os.getenv(...)`` only reads ``os``); ``a, b =`` assigns both."""
    depth = 0
    while at < len(tokens):
        text = tokens[at].text
        if depth == 0 and text == "=":
            return True
        if text == "[":
            depth += 1
        elif text == "]":
            depth -= 1
        elif depth == 0 and not (text in (".", ",") or tokens[at].kind == "name"):
            return False
        at += 1
    return False


def _normal_key(key: Any) -> Any:
    """Lua turns a float key with an integral value into an integer key."""
    if isinstance(key, float) and key.is_integer():
        return int(key)
    return key


def _table_value(positional: list[Any], keyed: dict[Any, Any]) -> list[Any] | dict[Any, Any]:
    """A list for a sequence (or an empty table), otherwise a dict with 1-based integer keys."""
    if not keyed:
        return positional
    merged: dict[Any, Any] = dict(keyed)
    for index, item in enumerate(positional, start=1):
        merged[index] = item  # positional items win over [n] = ... in Lua's constructor
    if all(isinstance(k, int) and not isinstance(k, bool) for k in merged) and sorted(
        merged
    ) == list(range(1, len(merged) + 1)):
        return [merged[k] for k in range(1, len(merged) + 1)]
    return merged


def parse_chunk(text: str, path: str, tolerant: bool = False) -> Chunk:
    """Parse one config file; raises ProsodyConfigError naming the file and line.

    With ``tolerant``, a statement that is valid Lua but sets no option plainly (an ``if``
    block, a loop, a call, a computed host name) is kept as ``Unevaluated`` (or a dynamic
    ``SectionHeader``) instead of refusing the whole file; what is not valid Lua is refused.
    """
    return _Parser(text, path, tolerant).chunk()


# --- values: Python to Lua and back --------------------------------------------------------------
def _as_mapping(value: list[Any] | tuple[Any, ...] | dict[Any, Any]) -> dict[Any, Any]:
    if isinstance(value, dict):
        return {_normal_key(k): v for k, v in value.items()}
    return dict(enumerate(value, start=1))


def lua_equal(left: Any, right: Any) -> bool:
    """Equality as Lua sees the values: 1 == 1.0, true ~= 1, {} == {} for literal tables."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) or isinstance(right, int | float):
        both = isinstance(left, int | float) and isinstance(right, int | float)
        return both and left == right
    if isinstance(left, list | tuple | dict) or isinstance(right, list | tuple | dict):
        if not (isinstance(left, list | tuple | dict) and isinstance(right, list | tuple | dict)):
            return False
        lmap, rmap = _as_mapping(left), _as_mapping(right)
        if len(lmap) != len(rmap):
            return False
        return all(k in rmap and lua_equal(v, rmap[k]) for k, v in lmap.items())
    return type(left) is type(right) and left == right


# No short \0 for NUL: followed by a digit it would read as another decimal escape (\01).
_QUOTE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def render_string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03d}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _render_key(key: Any) -> str:
    if isinstance(key, str) and _NAME.fullmatch(key) and key not in KEYWORDS:
        return key
    return f"[{render_value(key)}]"


def render_value(value: Any) -> str:
    """A Python value (from YAML: bool, int, float, str, list, dict) as Lua source, on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no literal in Lua")
        return repr(value)
    if isinstance(value, str):
        return render_string(value)
    if isinstance(value, list | tuple):
        return "{ " + ", ".join(render_value(v) for v in value) + " }" if value else "{}"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{_render_key(k)} = {render_value(v)}" for k, v in value.items())
        return "{ " + ", ".join(items) + " }"
    if value is None:
        raise ValueError("null is not a value to set; list the option under 'remove' instead")
    raise ValueError(f"a value of type {type(value).__name__} cannot be written as Lua")


def render_table_lines(
    value: list[Any] | dict[Any, Any], indent: str, inner: str, sep: str, newline: str
) -> str:
    """A table over several lines: one item per line, each closed by ``sep``."""
    if isinstance(value, dict):
        items = [f"{_render_key(k)} = {render_value(v)}" for k, v in value.items()]
    else:
        items = [render_value(v) for v in value]
    body = "".join(f"{newline}{inner}{item}{sep}" for item in items)
    return "{" + body + newline + indent + "}"
