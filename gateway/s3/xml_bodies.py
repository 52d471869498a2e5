"""Parsers for S3 request bodies (CreateBucketConfiguration, Delete, CompleteMultipartUpload...).

expat is driven directly: any DTD is refused before it is read, so no entity (internal or
external) can be declared or expanded; nesting depth and element count are capped. The caller
caps the size (``RequestBody.read_all``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.parsers import expat

from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.xml import VersioningConfiguration

MAX_DELETE_OBJECTS = 1000
MAX_PARTS = 10000
_MAX_DEPTH = 32
_MAX_ELEMENTS = 4 * MAX_PARTS + 64


@dataclass
class Element:
    """A parsed element: namespace prefix stripped, text concatenated."""

    tag: str
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def all(self, tag: str) -> list[Element]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> Element | None:
        found = self.all(tag)
        return found[0] if found else None

    def text_of(self, tag: str) -> str | None:
        child = self.first(tag)
        return child.text if child is not None else None


def parse_xml(body: bytes) -> Element:
    """Parse a request body; any DTD, entity, or excess nesting is MalformedXML."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    roots: list[Element] = []
    count = 0

    def refuse(*_: object) -> None:
        raise errors.MalformedXML()

    def refuse_external(*_: object) -> int:
        raise errors.MalformedXML()

    def start(name: str, _attributes: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if len(stack) >= _MAX_DEPTH or count > _MAX_ELEMENTS:
            raise errors.MalformedXML()
        element = Element(name.rpartition(":")[2])
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(_name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(body, True)
    except expat.ExpatError:
        raise errors.MalformedXML() from None
    if len(roots) != 1:
        raise errors.MalformedXML()
    return roots[0]


def _root(body: bytes, tag: str) -> Element:
    root = parse_xml(body)
    if root.tag != tag:
        raise errors.MalformedXML()
    return root


@dataclass(frozen=True)
class CreateBucketConfiguration:
    location_constraint: str | None = None


def parse_create_bucket(body: bytes) -> CreateBucketConfiguration:
    """An empty body is allowed and means no constraint."""
    if not body.strip():
        return CreateBucketConfiguration()
    root = _root(body, "CreateBucketConfiguration")
    constraint = root.text_of("LocationConstraint")
    return CreateBucketConfiguration(constraint.strip() if constraint else None)


@dataclass(frozen=True)
class ObjectIdentifier:
    key: str
    version_id: str | None = None


@dataclass(frozen=True)
class DeleteRequest:
    objects: tuple[ObjectIdentifier, ...]
    quiet: bool = False


def parse_delete(body: bytes) -> DeleteRequest:
    root = _root(body, "Delete")
    objects = []
    for element in root.all("Object"):
        key = element.text_of("Key")
        if key is None:
            raise errors.MalformedXML()
        objects.append(ObjectIdentifier(key, element.text_of("VersionId")))
    if not 1 <= len(objects) <= MAX_DELETE_OBJECTS:
        raise errors.MalformedXML()
    quiet = (root.text_of("Quiet") or "false").strip().lower()
    if quiet not in ("true", "false"):
        raise errors.MalformedXML()
    return DeleteRequest(tuple(objects), quiet == "true")


@dataclass(frozen=True)
class CompletedPart:
    part_number: int
    etag: str
    checksums: Mapping[ChecksumAlgorithm, str] = field(default_factory=dict)


def parse_complete_multipart(body: bytes) -> tuple[CompletedPart, ...]:
    """Parts in request order; they must ascend (InvalidPartOrder) and number 1..10000."""
    root = _root(body, "CompleteMultipartUpload")
    parts = []
    for element in root.all("Part"):
        number, etag = element.text_of("PartNumber"), element.text_of("ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise errors.MalformedXML()
        checksums = {
            alg: value.strip()
            for alg in ChecksumAlgorithm
            if (value := element.text_of(f"Checksum{alg.name}")) is not None
        }
        parts.append(CompletedPart(int(number), etag.strip(), checksums))
    if not 1 <= len(parts) <= MAX_PARTS:
        raise errors.MalformedXML()
    numbers = [p.part_number for p in parts]
    if numbers != sorted(set(numbers)):
        raise errors.InvalidPartOrder()
    if numbers[0] < 1 or numbers[-1] > MAX_PARTS:
        raise errors.InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="PartNumber",
            ArgumentValue=numbers[-1] if numbers[-1] > MAX_PARTS else numbers[0],
        )
    return tuple(parts)


def parse_tagging(body: bytes) -> tuple[tuple[str, str], ...]:
    root = _root(body, "Tagging")
    tag_set = root.first("TagSet")
    if tag_set is None:
        raise errors.MalformedXML()
    tags = []
    for tag in tag_set.all("Tag"):
        key, value = tag.text_of("Key"), tag.text_of("Value")
        if key is None or value is None:
            raise errors.MalformedXML()
        tags.append((key, value))
    return tuple(tags)


def parse_versioning(body: bytes) -> VersioningConfiguration:
    root = _root(body, "VersioningConfiguration")
    status = root.text_of("Status")
    if status not in (None, "Enabled", "Suspended"):
        raise errors.MalformedXML()
    return VersioningConfiguration(status, root.text_of("MfaDelete"))


@dataclass(frozen=True)
class Grant:
    """One grant of a Put{Bucket,Object}Acl body: a canonical user (``grantee_id``) or a group
    or e-mail grantee (``other``), and the permission."""

    grantee_id: str | None
    other: str | None
    permission: str


def parse_access_control_policy(body: bytes) -> tuple[Grant, ...]:
    root = _root(body, "AccessControlPolicy")
    acl = root.first("AccessControlList")
    grants = []
    for grant in acl.all("Grant") if acl is not None else []:
        grantee = grant.first("Grantee")
        permission = (grant.text_of("Permission") or "").strip()
        if grantee is None or not permission:
            raise errors.MalformedXML()
        grantee_id = grantee.text_of("ID")
        other = grantee.text_of("URI") or grantee.text_of("EmailAddress")
        grants.append(Grant(grantee_id.strip() if grantee_id else None, other, permission))
    return tuple(grants)
