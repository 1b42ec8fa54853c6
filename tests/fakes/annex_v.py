"""The guidance's Annex V: its worked example of an Annex II form, box by box (the values as
printed in the seed), used to fill a form and read it back from the exports."""

from __future__ import annotations

ANNEX_V: dict[str, str] = {
    "f3": "Power Tools",
    "f4": "8467219900",
    "f5": "Rotary Hammer Drill 1050W",
    "f6": "Performance Power",
    "f7": "£39.98/€64.98",
    "f8": "China",
    "f9": "05075294",
    "f10": "Rotary Hammer Drill contained in a blow mould case with accessories",
    "f11": "WFS785 Product Safety Notice.pdf",
    "f12": "The Machinery Directive 98/37/EC The Low Voltage Directive 73/23EC The "
    "Electromagnetic Compatibility Directive 89/336/EEC The Waste Electrical and Electronic "
    "Equipment Directive 2002/96/EC",
    "f13": "CE marked",
    "f14": "Kingfisher Asia Limited (Vendor GMC, Manufacturer – Jiangsu Golden Harbour "
    "Enterprise) 21st Floor Cornwall House 979 Kings Road TaiKoo Place Quarry Bay Hong Kong "
    "Tel: 00 852 2378 1000 Fax: 00 852 2378 1099",
    "f15": "Kingfisher Asia Limited 21st Floor Cornwall House 979 Kings Road TaiKoo Place "
    "Quarry Bay Hong Kong Tel: 00 852 2378 1000 Fax: 00 852 2378 1099",
    "f16": "B&Q plc Portswood House, 1 Hampshire Corporate Park, Chandlers Ford, Eastleigh, "
    "Hampshire SO53 3YX Tel: 02380 256256 Fax: 02380 257480",
    "f17": "B&Q plc, Portswood House, 1 Hampshire Corporate Park, Chandlers Ford, Eastleigh, "
    "Hampshire SO53 3YX Tel: 02380 256256 Fax: 02380 257480",
    "f18": "B&Q plc Southern Ireland",
    "f19": "Broken wrist, hand, fingers and/or facial injuries",
    "f20": "The handle disengaged from the secure mounting on the drill body, rotating rapidly "
    "around it. A user would probably be gripping both this handle and the rear handle and "
    "would be at risk of injury as the two handles suddenly rotated with considerable force in "
    "relationship to each other. hammer drill test report.pdf",
    "f21": "9 recorded incidents on file. Various injuries from broken fingers to facial damage.",
    "f22": "Full product recall published in the national press (copy enclosed previously) "
    "with helpline support on 5th October. Featured for one day. All stores have also printed "
    "and displayed signs within the store to alert consumers to the recall. These signs will "
    "stay up as long as is deemed necessary by local authority. Drill2.pdf",
    "f23": "Recall notice is included within this notification. The advert was featured in the "
    "press on 5th October. Notices in store are an exact copy of the notice used in the press "
    "and are displayed behind the returns desk and service desk. These notices will be left in "
    "place for as long as is deemed necessary by the local authority.",
    "f24": "The product has already been reengineered and the old unit has been removed from "
    "the supply chain back in February 2006. The reengineered unit is now on sale with a new "
    "bar code allocated.",
    "f25": "no",
    "f30_authority": "Hampshire County Council. Trading Standards Service.",
    "f30_address": "Sun Alliance House 47, Wote Street. Basingstoke. Hants. RG21 7NG.",
    "f30_contact": "Richard Kerr.",
    "f30_tel": "01256 776128.",
    "f30_fax": "01256 817220.",
    "f30_email": "richard.kerr@hants.gov.uk",
}
# How each box reads on the exported form (box 25's "no" is printed "No", as in Annex V).
PRINTED = {k: ("No" if k == "f25" else v) for k, v in ANNEX_V.items()}
STEPS = (
    ("f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10"),
    ("f11", "f12", "f13", "f14", "f15", "f16"),
    ("f17", "f18", "f19", "f20", "f21"),
    ("f22", "f23", "f24", "f25", "f26", "f27"),
    ("f30_authority", "f30_address", "f30_contact", "f30_tel", "f30_fax", "f30_email"),
)
SECRET = "Trader has a prosecution pending; DTI only"  # box 27: never in a shared place


def read_docx(content: bytes) -> dict[str, str]:
    """Box label → text, from every two-column table of an exported DOCX."""
    import io

    from docx import Document

    doc = Document(io.BytesIO(content))
    out: dict[str, str] = {}
    for table in doc.tables:
        for row in table.rows:
            label, text = (c.text for c in row.cells)
            out[label] = text
    return out


def docx_value(boxes: dict[str, str], key: str) -> str:
    """The text of box ``key`` (f14, f30_email …) read back by its printed label."""
    from cards.annex_forms import ANNEX_II

    box = ANNEX_II.box(key)
    return boxes[f"{box.number}. {box.label}"]
