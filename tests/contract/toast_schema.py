"""Validate Toast order JSON against Toast's published Orders API spec (Swagger 2.0 = JSON Schema draft 4).

Use it for what the Toast sandbox returns and for what an adapter sends:

    from tests.contract.toast_schema import validate_order_response, validate_order_request
    validate_order_response(order_json)   # an Order as returned by POST/GET /orders, ordersBulk items
    validate_order_request(body)          # the body of POST /orders/v2/orders
    validate_selections_request(items)    # the body of POST /orders/{guid}/checks/{guid}/selections

Each raises `ToastSchemaError` (an AssertionError, so pytest shows it plainly) listing every violation
with its JSON path; `order_response_errors` / `order_request_errors` return the list instead.
(`tests.contract.toast_schema` imports when the repository root is on `sys.path`, as with
`python -m pytest` run from the root.)

The spec is `tests/contract/specs/toast-orders-openapi.yaml`, kept verbatim. What this module adjusts,
and why — nothing else is changed:

Responses
1. An optional property may be `null` (a property its object lists in `required` may not). Swagger 2.0 cannot say "nullable", but Toast writes `null` for
   absent values (its own example response is full of them, and the field descriptions say e.g.
   "`promisedDate` is `null`" for dine-in). Required properties may not be null.
2. `Selection.item` / `itemGroup` may be null when `selectionType` is `SPECIAL_REQUEST`,
   `TOAST_CARD_SELL` or `TOAST_CARD_RELOAD`: the Selection description says they are "null for gift
   cards and on special requests" on GET. Any other selection must carry an `item` object.

Requests
3. A property marked `x-toast-read-only` is never required in a request (so references need only
   `guid`, not `entityType`).
4. Objects being created carry no `guid`: for Order, Check, Selection (every line and modifier),
   Customer, Payment and AppliedDiscount the inherited `guid` requirement is dropped. References to
   existing entities (diningOption, table, server, revenueCenter, item, itemGroup, ...) still need `guid`.
5. A modifier may be a special request: `{"selectionType": "SPECIAL_REQUEST", "displayName": "..."}`
   without `item`/`quantity` (Toast's way to print a note in the kitchen: a modifier of a menu item
   selection). A top-level selection must still have `item` and `quantity`, as the spec requires.
6. `Check.tabName` is at most 255 characters (from the field's description).
7. Rule 1 applies to requests too.

Formats: `date-time` values must be ISO-8601 with an offset (`2026-11-27T19:42:07.123+0000`,
`...Z` or `+00:00`); other formats in the spec (`double`, `uuid`, `ISO-8601` durations) are not checked.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml
from jsonschema import Draft4Validator, FormatChecker

SPEC_PATH = Path(__file__).resolve().parent / "specs" / "toast-orders-openapi.yaml"

CREATED_IN_REQUESTS = ("Order", "Check", "Selection", "Customer", "Payment", "AppliedDiscount")
NULL_ITEM_SELECTION_TYPES = ("SPECIAL_REQUEST", "TOAST_CARD_SELL", "TOAST_CARD_RELOAD")
TAB_NAME_MAX = 255

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$")


class ToastSchemaError(AssertionError):
    """A payload does not match Toast's published schema. `errors` lists each violation."""

    def __init__(self, what: str, errors: list[str]) -> None:
        self.errors = errors
        shown = "\n  ".join(errors[:25]) + ("\n  …" if len(errors) > 25 else "")
        super().__init__(f"{what} does not match Toast's Orders API schema ({len(errors)} problem(s)):\n  {shown}")


@functools.lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The Toast Orders API spec as loaded from the verbatim copy (do not mutate)."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# ------------------------------------------------------------------------------------------ transforms


def _walk(node: Any) -> Iterable[dict[str, Any]]:
    """Every dict in a schema tree, parents before children."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _properties_allowing_null(validator: Any, properties: dict[str, Any], instance: Any,
                               schema: dict[str, Any]) -> Iterable[jsonschema.ValidationError]:
    """Draft 4 `properties`, except that rules 1/7 let a property its object does not require be null."""
    if not validator.is_type(instance, "object"):
        return
    required = schema.get("required") or ()
    for name, subschema in properties.items():
        if name in instance:
            if instance[name] is None and name not in required:
                continue
            yield from validator.descend(instance[name], subschema, path=name, schema_path=name)


_Validator = jsonschema.validators.extend(Draft4Validator, {"properties": _properties_allowing_null})


def _response_definitions() -> dict[str, Any]:
    defs = copy.deepcopy(spec()["definitions"])
    # Rule 2: `item` is no longer required (so it may be null), but must be an object unless special.
    part = defs["Selection"]["allOf"][1]
    part["required"] = [r for r in part["required"] if r != "item"]  # still holds "quantity"
    defs["Selection"]["allOf"].append({"anyOf": [
        {"required": ["item"], "properties": {"item": {"type": "object"}}},
        {"required": ["selectionType"], "properties": {"selectionType": {"enum": list(NULL_ITEM_SELECTION_TYPES)}}},
    ]})
    return defs


def _request_definitions() -> dict[str, Any]:
    defs = copy.deepcopy(spec()["definitions"])
    # Rule 3: read-only properties are never required in a request.
    for node in _walk(defs):
        props, required = node.get("properties"), node.get("required")
        if isinstance(props, dict) and isinstance(required, list):
            kept = [r for r in required if not (isinstance(props.get(r), dict) and props[r].get("x-toast-read-only"))]
            if kept:
                node["required"] = kept
            else:
                del node["required"]
    # Rule 4: objects being created inherit a reference without a required guid.
    new_ref = copy.deepcopy(defs["ToastReference"])
    del new_ref["required"]  # draft 4 does not allow an empty `required`
    defs["ToastReference__new"] = new_ref
    new_ext = copy.deepcopy(defs["ExternalReference"])
    for part in new_ext["allOf"]:
        if part.get("$ref") == "#/definitions/ToastReference":
            part["$ref"] = "#/definitions/ToastReference__new"
    defs["ExternalReference__new"] = new_ext
    swap = {"#/definitions/ToastReference": "#/definitions/ToastReference__new",
            "#/definitions/ExternalReference": "#/definitions/ExternalReference__new"}
    for name in CREATED_IN_REQUESTS:
        for part in defs[name].get("allOf", []):
            if part.get("$ref") in swap:
                part["$ref"] = swap[part["$ref"]]
    # Rule 5: a modifier may be a special request.
    sel_props = defs["Selection"]["allOf"][1]["properties"]
    special_props = copy.deepcopy(sel_props)
    special_props["selectionType"] = {"type": "string", "enum": ["SPECIAL_REQUEST"]}
    special_props["displayName"] = {"type": "string", "minLength": 1}
    defs["SpecialRequestModifier"] = {
        "type": "object",
        "allOf": [{"$ref": "#/definitions/ExternalReference__new"},
                  {"type": "object", "required": ["selectionType", "displayName"], "properties": special_props}],
    }
    sel_props["modifiers"]["items"] = {"anyOf": [{"$ref": "#/definitions/Selection"},
                                                 {"$ref": "#/definitions/SpecialRequestModifier"}]}
    # Rule 6: tabName length.
    defs["Check"]["allOf"][1]["properties"]["tabName"]["maxLength"] = TAB_NAME_MAX
    return defs


# ------------------------------------------------------------------------------------------ validators


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date-time")
    def _is_date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE_TIME.match(value))

    return checker


@functools.lru_cache(maxsize=None)
def _validator(kind: str, definition: str, array: bool = False) -> Any:
    defs = _response_definitions() if kind == "response" else _request_definitions()
    root: dict[str, Any] = {"definitions": defs}
    ref = {"$ref": f"#/definitions/{definition}"}
    root.update({"type": "array", "minItems": 1, "items": ref} if array else ref)
    Draft4Validator.check_schema(root)
    return _Validator(root, format_checker=_format_checker())


def response_schema(definition: str = "Order") -> dict[str, Any]:
    """The adjusted response schema of a definition (a root schema carrying all definitions)."""
    return _validator("response", definition).schema


def request_schema(definition: str = "Order") -> dict[str, Any]:
    return _validator("request", definition).schema


def _describe(errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    out: list[str] = []
    for err in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        line = f"{path}: {err.message[:300]}"
        if err.context:
            # anyOf/oneOf: show what each alternative objected to (the most specific first).
            subs = sorted({f"{'$' + ''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in c.absolute_path)}: "
                           f"{c.message[:200]}" for c in err.context if c.validator not in ("anyOf", "type")
                           or c.absolute_path != err.absolute_path})
            if subs:
                line += " — " + "; ".join(subs[:4])
        out.append(line)
    return list(dict.fromkeys(out))  # allOf chains can report one problem several times


def order_response_errors(obj: Any) -> list[str]:
    """Every way `obj` (an Order as Toast returns it) deviates from the schema; [] when it conforms."""
    return _describe(_validator("response", "Order").iter_errors(obj))


def order_request_errors(body: Any) -> list[str]:
    """Every way `body` (a POST /orders/v2/orders body) deviates from the schema; [] when it conforms."""
    return _describe(_validator("request", "Order").iter_errors(body))


def selections_request_errors(items: Any) -> list[str]:
    return _describe(_validator("request", "Selection", True).iter_errors(items))


def validate_order_response(obj: Any) -> None:
    """Raise ToastSchemaError unless `obj` is a valid Toast `Order` response."""
    errors = order_response_errors(obj)
    if errors:
        raise ToastSchemaError("Order response", errors)


def validate_order_request(body: Any) -> None:
    """Raise ToastSchemaError unless `body` is a valid POST /orders/v2/orders request body."""
    errors = order_request_errors(body)
    if errors:
        raise ToastSchemaError("Order request", errors)


def validate_selections_request(items: Any) -> None:
    """Raise ToastSchemaError unless `items` is a valid body for POST .../checks/{guid}/selections."""
    errors = selections_request_errors(items)
    if errors:
        raise ToastSchemaError("Selections request", errors)
