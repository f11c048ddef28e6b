"""Parsing uploaded XML without trusting it.

Packages come from analysts' uploads, so BPMN and DMN files are hostile
until proven otherwise. Two gates:

1. defusedxml (expat) with `forbid_dtd`: any DOCTYPE is refused outright,
   which covers entity expansion bombs (billion laughs) and external
   entities (`file:///etc/passwd`) before anything expands or is fetched;
   it also reports well-formedness errors with their line.
2. lxml with entity resolution, network and DTD loading off and huge-tree
   support disabled, because SpiffWorkflow's parser needs lxml elements.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from lxml import etree

MAX_XML_BYTES = 2 * 1024 * 1024


class XmlRefused(ValueError):
    """The file is not acceptable XML; the message says why, for the analyst."""


def _lxml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_xml(data: bytes, limit: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of `data`, or XmlRefused."""
    if len(data) > limit:
        raise XmlRefused(f"is {len(data)} bytes; the limit for an XML file is {limit}")
    _defused_gate(data)
    try:
        root = etree.fromstring(data, parser=_lxml_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"is not well-formed XML: {exc.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlRefused("declares a DTD, which is not allowed")
    return root


def _defused_gate(data: bytes) -> None:
    try:
        SafeElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise XmlRefused(
            f"declares a DTD or entities, which is not allowed ({type(exc).__name__})"
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise XmlRefused(f"is not well-formed XML (line {line}, column {column})") from None
