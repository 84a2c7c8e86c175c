"""Custom fields: the tenant's own fields on its contacts, their definitions and the rules their
values follow.

Plain Python: the rules (`check_values`, `from_text`, `to_text`, `shown`) run without AWS; the
contacts area applies them on every write of a contact's `custom` values.
"""

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import ConfigDict, Field, StrictBool, StringConstraints, field_validator, model_validator

from pforte.core.clock import utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError
from pforte.core.fields import Name, Timestamp
from pforte.core.identity import Actor, require_admin
from pforte.core.model import Model

MAX_FIELDS = 50
MAX_OPTIONS = 100
MAX_TEXT = 1000
# Numbers beyond this lose digits in a spreadsheet (15 significant digits): refused.
MAX_NUMBER = 1e15
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# A key names a CSV column of the import and export: not one the contact's own fields use there
# (the import's names of them included; tests/unit/test_custom_fields.py checks they are all here).
RESERVED_KEYS = frozenset(
    {
        "id",
        "name",
        "email",
        "company",
        "language",
        "phone",
        "customer_number",
        "status",
        "invitation_sent_at",
        "terms_accepted_at",
        "created_at",
        "updated_at",
        "custom",
        # the import's German and alternative column names of the contact's own fields
        "firma",
        "unternehmen",
        "organisation",
        "organization",
        "sprache",
        "lang",
        "mail",
        "kontakt",
        "kunde",
        "full name",
        "email address",
        "emailadresse",
        "telefon",
        "telephone",
        "phone number",
        "telefonnummer",
        "tel",
        "customer number",
        "customer no",
        "customer id",
        "kundennummer",
        "kundennr",
    }
)

CustomValue = StrictBool | int | float | str
CustomValues = dict[str, CustomValue]


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    ENUM = "enum"


Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class FieldDefinition(Model):
    """One custom field: `key` names it in the API (`custom.<key>`) and in CSV headers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, StringConstraints(pattern=KEY_PATTERN)] = Field(
        description="Lowercase letters, digits and `_`, starting with a letter (at most 40)"
    )
    label: Name
    type: FieldType
    options: list[Option] | None = Field(
        default=None, max_length=MAX_OPTIONS, description="The allowed values of an `enum` (only there)"
    )
    required: StrictBool = False
    customer_editable: StrictBool = Field(
        default=False, description="The customer may set it with PATCH /me (and sees it on GET /me)"
    )

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, key: str) -> str:
        # CSV headers are compared with `_` read as a space: `phone_number` is `phone number`.
        if key in RESERVED_KEYS or key.replace("_", " ") in RESERVED_KEYS:
            raise ValueError(f"{key!r} is a column of the contact itself")
        return key

    @model_validator(mode="after")
    def _options_of_enum(self) -> "FieldDefinition":
        if self.type is FieldType.ENUM:
            if not self.options:
                raise ValueError("an enum field needs its options")
            if len(set(self.options)) != len(self.options):
                raise ValueError("options must be unique")
        elif self.options is not None:
            raise ValueError("only an enum field has options")
        return self


class CustomFieldsPut(Model):
    """The tenant's whole set of definitions, replacing what was there."""

    model_config = ConfigDict(extra="forbid")

    fields: list[FieldDefinition] = Field(max_length=MAX_FIELDS)

    @field_validator("fields")
    @classmethod
    def _unique_keys(cls, fields: list[FieldDefinition]) -> list[FieldDefinition]:
        keys = [field.key for field in fields]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"keys must be unique: {', '.join(repeated)}")
        return fields


class CustomFields(Model):
    """The stored definitions of one tenant."""

    tenant_id: str
    fields: list[FieldDefinition] = []
    updated_at: datetime | None = None


class CustomFieldsOut(Model):
    fields: list[FieldDefinition]
    updated_at: Timestamp | None


class CustomFieldRepository(Protocol):
    def get(self, tenant_id: str) -> CustomFields | None: ...

    def save(self, fields: CustomFields) -> None: ...


# --- services -------------------------------------------------------------------------------------


def definitions(repository: CustomFieldRepository, tenant_id: str) -> tuple[FieldDefinition, ...]:
    """The tenant's field definitions (none before the first PUT)."""
    stored = repository.get(tenant_id)
    return tuple(stored.fields) if stored else ()


def get_custom_fields(repository: CustomFieldRepository, actor: Actor) -> CustomFieldsOut:
    stored = repository.get(actor.tenant_id) or CustomFields(tenant_id=actor.tenant_id)
    return CustomFieldsOut(fields=stored.fields, updated_at=stored.updated_at)


def put_custom_fields(
    repository: CustomFieldRepository, actor: Actor, data: CustomFieldsPut
) -> CustomFieldsOut:
    """Replace the definitions. Values of a removed field stay stored but are no longer shown (a
    field defined again with its key shows them again, where they fit its type); a required field
    is enforced on every later create and change."""
    require_admin(actor)
    stored = CustomFields(tenant_id=actor.tenant_id, fields=data.fields, updated_at=utcnow())
    repository.save(stored)
    return CustomFieldsOut(fields=stored.fields, updated_at=stored.updated_at)


# --- the rules of values --------------------------------------------------------------------------


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in text):
        raise ValueError("must not contain control or formatting characters")
    return text


def check_value(definition: FieldDefinition, value: object) -> CustomValue:
    """The value as stored, if it fits the field's type; ValueError saying why if not."""
    match definition.type:
        case FieldType.STRING:
            return _text(value)
        case FieldType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("must be a number")
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                raise ValueError(f"must be a finite number of at most {MAX_NUMBER:.0e}")
            return value
        case FieldType.BOOLEAN:
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        case FieldType.DATE:
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError("must be a date as YYYY-MM-DD")
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                raise ValueError("must be a date as YYYY-MM-DD") from None
        case FieldType.ENUM:
            options = definition.options or []
            if not isinstance(value, str) or value not in options:
                raise ValueError(f"must be one of: {', '.join(options)}")
            return value


def _fits(definition: FieldDefinition, value: object) -> bool:
    try:
        check_value(definition, value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class MissingValue(FieldError):
    """A required field without a value (the import reports it as `required`)."""


def _required_error(key: str) -> FieldError:
    return MissingValue(f"custom.{key}", "This field is required.")


def check_values(
    fields: Sequence[FieldDefinition],
    given: Mapping[str, object],
    stored: Mapping[str, CustomValue] | None = None,
    *,
    editable: Iterable[str] | None = None,
) -> CustomValues:
    """The contact's custom values after `given` is applied to `stored` (None for a new contact):
    every given key must be defined (and in `editable` when that is given), its value must fit
    its type, `null` removes it, and every required field (of `editable`, when given) must have a
    value afterwards. 422 `validation_error` naming each failing `custom.<key>`.

    Values of keys no longer defined stay as they are (hidden, see `shown`)."""
    by_key = {field.key: field for field in fields}
    allowed = set(by_key) if editable is None else set(editable) & set(by_key)
    errors: list[FieldError] = []
    result: CustomValues = dict(stored or {})
    for key, value in given.items():
        definition = by_key.get(key)
        if definition is None or key not in allowed:
            message = "No such custom field." if definition is None else "This field is not yours to change."
            errors.append(FieldError(f"custom.{key}", message))
            continue
        if value is None or (
            isinstance(value, str) and not value.strip() and definition.type is not FieldType.ENUM
        ):
            result.pop(key, None)
            continue
        try:
            result[key] = check_value(definition, value)
        except ValueError as error:
            errors.append(FieldError(f"custom.{key}", str(error)))
    failing = {error.field for error in errors}
    for definition in fields:
        if (
            definition.required
            and definition.key in allowed
            and f"custom.{definition.key}" not in failing
            and not _fits(definition, result.get(definition.key))
        ):
            errors.append(_required_error(definition.key))
    if errors:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "The request is not valid.", errors)
    return result


def shown(
    fields: Sequence[FieldDefinition], stored: Mapping[str, CustomValue], *, only: Iterable[str] | None = None
) -> CustomValues:
    """The values the API shows: those of defined fields (of `only`, when given) that fit the
    definition as it is now; a removed or retyped field's value is hidden."""
    keys = None if only is None else set(only)
    return {
        field.key: stored[field.key]
        for field in fields
        if field.key in stored and (keys is None or field.key in keys) and _fits(field, stored[field.key])
    }


def customer_editable(fields: Sequence[FieldDefinition]) -> list[str]:
    return [field.key for field in fields if field.customer_editable]


# --- CSV cells ------------------------------------------------------------------------------------

_TRUE = {"true", "yes", "ja", "wahr", "1", "x"}
_FALSE = {"false", "no", "nein", "falsch", "0"}


def from_text(definition: FieldDefinition, text: str) -> object:
    """A CSV cell as the value it stands for (None for an empty cell); what does not read as the
    field's type is passed on as it is, for `check_value` to refuse with its reason."""
    cell = text.strip()
    if not cell:
        return None
    match definition.type:
        case FieldType.NUMBER:
            # 1234.5, or as German spreadsheets write it: 1234,5 (no thousands separators)
            number = cell.replace(",", ".") if cell.count(",") == 1 and "." not in cell else cell
            try:
                return int(number) if re.fullmatch(r"[+-]?\d+", number) else float(number)
            except ValueError:
                return cell
        case FieldType.BOOLEAN:
            lowered = cell.lower()
            return True if lowered in _TRUE else False if lowered in _FALSE else cell
        case FieldType.DATE:
            german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", cell)
            return f"{german[3]}-{int(german[2]):02d}-{int(german[1]):02d}" if german else cell
        case _:
            return cell


def to_text(value: CustomValue | None) -> str:
    """A value as a CSV cell that `from_text` reads back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
