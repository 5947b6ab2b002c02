"""Whole email templates rendered once per batch for everyone they read the same for.

Within a send batch (``render.one_batch``), a template is rendered once for each value of
everything it reads, then kept for the batch's other messages: a reminder for 100 volunteers
on one shift is rendered once, and each volunteer's copy differs only where the template
prints their name. What a template reads is found in the compiled template itself
(``reads``): every variable of every node, of the templates it extends and includes, and of
the blocks it includes as objects (``render.KeptBlock``, through their own ``reads``).

The recipient's own values a template only prints (``{{ recipient.name }}``, or
``{% blocktranslate with name=recipient.name %}``, with no filter) are not part of the key:
the template is rendered with a stand-in recipient whose values are markers, and each
message's copy has the markers replaced by its recipient's values, escaped as the template
would have escaped them where it prints them (``Slot``). A recipient value used any other
way (a filter, a condition, a loop) is part of the key, like every other value.

A template with a tag this module does not know (one that could read something other than its
variables: the clock, the request, the context as a whole) is never kept: it is rendered for
every message, as outside a batch. tests/notifications/test_kept_templates.py proves every
email template is known and that each recipient's copy is the one rendered on its own."""

import functools
import re
import secrets
from dataclasses import dataclass, field

from django.template import Context, Template, engines
from django.template.base import FilterExpression, TextNode, TokenType, Variable, VariableNode
from django.template.defaulttags import (
    AutoEscapeControlNode,
    CommentNode,
    ForNode,
    IfNode,
    LoadNode,
    WithNode,
)
from django.template.loader_tags import BlockNode, ExtendsNode, IncludeNode
from django.templatetags.i18n import (
    BlockTranslateNode,
    GetCurrentLanguageNode,
    TranslateNode,
)
from django.utils.html import conditional_escape

# The object whose printed values are filled in per message.
PERSONAL = "recipient"

_KNOWN = (TextNode, VariableNode, IfNode, ForNode, WithNode, BlockNode, ExtendsNode,
          IncludeNode, TranslateNode, BlockTranslateNode, GetCurrentLanguageNode,
          AutoEscapeControlNode, LoadNode, CommentNode)


class Unknown(Exception):
    """The template has a tag whose reads cannot be found: it is not kept."""


@dataclass
class Reads:
    """What a template reads: ``keyed`` variables (each value part of the key), and the
    recipient's attributes it only prints (``printed``); ``includes``, variables holding
    blocks included as objects, are keyed by those blocks' own reads."""

    keyed: set = field(default_factory=set)
    printed: set = field(default_factory=set)
    includes: set = field(default_factory=set)

    def personal_keyed(self) -> bool:
        return any(path[0] == PERSONAL for path in self.keyed)


def reads(template: Template) -> Reads:
    """What ``template`` reads (raises Unknown for a tag this module does not know)."""
    found = Reads()
    _walk(template.nodelist, found, template.engine, seen=set())
    found.printed -= found.keyed
    return found


def _walk(nodelist, found: Reads, engine, *, seen: set) -> None:
    for node in nodelist:
        if not isinstance(node, _KNOWN):
            raise Unknown(f"{type(node).__name__} in {node.origin}")
        if isinstance(node, VariableNode):
            _expression(node.filter_expression, found, printed=True)
        elif isinstance(node, IfNode):
            for condition, _nodes in node.conditions_nodelists:
                _condition(condition, found)
        elif isinstance(node, ForNode):
            _expression(node.sequence, found)
        elif isinstance(node, WithNode):
            for value in node.extra_context.values():
                _expression(value, found)
        elif isinstance(node, TranslateNode):
            for value in (node.filter_expression, node.message_context):
                if value is not None:
                    _expression(value, found)
        elif isinstance(node, BlockTranslateNode):
            _block_translate(node, found)
        elif isinstance(node, IncludeNode):
            _include(node, found, engine, seen=seen)
        elif isinstance(node, ExtendsNode):
            parent = node.parent_name
            if not isinstance(parent.var, str) or parent.filters:
                raise Unknown(f"extends with a variable in {node.origin}")
            _template(str(parent.var), found, engine, seen=seen)
        for name in node.child_nodelists:  # an if's nodelist: all its branches
            children = getattr(node, name, None)
            if children:
                _walk(children, found, engine, seen=seen)


def _template(name: str, found: Reads, engine, *, seen: set) -> None:
    if name in seen:
        return
    seen.add(name)
    _walk(engine.get_template(name).nodelist, found, engine, seen=seen)


def _include(node: IncludeNode, found: Reads, engine, *, seen: set) -> None:
    if node.extra_context or node.isolated_context:
        raise Unknown(f"include with arguments in {node.origin}")
    expression = node.template
    if isinstance(expression.var, Variable) and not expression.filters:
        found.includes.add(expression.var.lookups)  # a block object (render.KeptBlock)
    elif isinstance(expression.var, str) and not expression.filters:
        _template(str(expression.var), found, engine, seen=seen)
    else:
        raise Unknown(f"include of {expression.token!r} in {node.origin}")


def _block_translate(node: BlockTranslateNode, found: Reads) -> None:
    plain = not (node.asvar or node.counter or node.message_context)
    for value in node.extra_context.values():
        _expression(value, found, printed=plain)
    for value in (node.counter, node.message_context):
        if value is not None:
            _expression(value, found)
    own = set(node.extra_context) | ({node.countervar} if node.countervar else set())
    for token in [*node.singular, *(node.plural or ())]:
        if token.token_type == TokenType.VAR and token.contents not in own:
            found.keyed.add((token.contents,))


def _condition(condition, found: Reads) -> None:
    """A condition of ``{% if %}`` (django.template.smartif): a literal or an operator."""
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        _expression(value, found)
    for side in ("first", "second"):
        part = getattr(condition, side, None)
        if part is not None:
            _condition(part, found)


def _expression(expression: FilterExpression, found: Reads, *, printed: bool = False) -> None:
    var = expression.var
    if isinstance(var, Variable) and var.lookups is not None:
        path = var.lookups
        if printed and not expression.filters and path[0] == PERSONAL and len(path) == 2:
            found.printed.add(path)
        else:
            found.keyed.add(path)
    for _function, arguments in expression.filters:
        for is_variable, argument in arguments:
            if is_variable and argument.lookups is not None:
                found.keyed.add(argument.lookups)


@functools.lru_cache(maxsize=256)
def plan(name: str) -> "Plan | None":
    """How to key and fill in the email template ``name``, or None when it is never kept."""
    return plan_for(engines["django"].engine.get_template(name))


def plan_for(template: Template) -> "Plan | None":
    try:
        found = reads(template)
    except Unknown:
        return None
    printed = () if found.personal_keyed() else tuple(sorted(found.printed))
    keyed = found.keyed | {path for path in found.printed if path not in printed}
    return Plan(template=template,
                keyed=tuple(Variable(".".join(path)) for path in sorted(keyed)),
                includes=tuple(Variable(".".join(path)) for path in sorted(found.includes)),
                printed=printed)


# --- Markers for the recipient's printed values -----------------------------------------------

# Private-use characters around a token of this process, so that no text a template prints
# (a shift's title, a note) can pass for a marker.
_TOKEN = secrets.token_hex(8)
_MARKER = re.compile(f"\ue000{_TOKEN}([RE])(\\d+)\ue001")


class Slot(str):
    """A stand-in value: printed as is (``str``) it leaves one marker, escaped
    (``conditional_escape``) another, so that each copy gets the value as it would have been
    printed there."""

    def __str__(self):
        return f"\ue000{_TOKEN}R{str.__str__(self)}\ue001"

    def __html__(self):
        return f"\ue000{_TOKEN}E{str.__str__(self)}\ue001"


class StandIn:
    def __init__(self, printed: tuple):
        for index, (_root, attribute) in enumerate(printed):
            setattr(self, attribute, Slot(str(index)))


def fill(text: str, values: list[str]) -> str:
    """The kept text with each marker replaced by its value, escaped where it was escaped."""
    if "\ue000" not in text:
        return text

    def value(match):
        found = values[int(match.group(2))]
        return str(conditional_escape(found)) if match.group(1) == "E" else str(found)

    return _MARKER.sub(value, text)


_MISSING = object()


@dataclass(frozen=True)
class Plan:
    template: Template
    keyed: tuple
    includes: tuple
    printed: tuple

    def key(self, context: dict, key_of) -> tuple:
        """The values of everything the template reads, as ``key_of`` makes them keys."""
        parts = []
        for variable in self.keyed:
            parts.append(key_of(_resolve(variable, context)))
        for variable in self.includes:
            block = _resolve(variable, context)
            names = getattr(block, "reads", None)
            if names is None:
                raise TypeError("an include that is not a kept block")  # not kept
            parts.append((block, tuple(key_of(context.get(name, _MISSING)) for name in names)))
        return tuple(parts)

    def personal(self, context: dict) -> list[str] | None:
        """The recipient's printed values, or None if one is not text (then not kept)."""
        recipient = context.get(PERSONAL)
        values = [getattr(recipient, attribute, None) for _root, attribute in self.printed]
        if not all(isinstance(value, str) for value in values):
            return None
        return values

    def render(self, context: dict, *, autoescape: bool) -> str:
        """The template rendered with the recipient's printed values as markers."""
        if self.printed:
            context = {**context, PERSONAL: StandIn(self.printed)}
        return self.template.render(Context(context, autoescape=autoescape))


def _resolve(variable: Variable, context: dict):
    try:
        return variable.resolve(context)
    except Exception:  # missing: the template prints its empty value, the same for all
        return _MISSING
