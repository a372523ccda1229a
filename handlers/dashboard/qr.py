"""QR codes for printed invitations: inline SVG made by segno, so a page needs no image file and no other site."""

import segno
from markupsafe import Markup


def qr_svg(link: str, *, title: str) -> Markup:
    """The link as a QR code, sized to scan from paper at arm's length (error correction M survives a crease)."""
    code = segno.make(link, error="m", micro=False)
    # segno writes only its own markup around our link, which it escapes as SVG text: safe to inline as is.
    return Markup(code.svg_inline(scale=5, border=2, title=title, svgclass="qr"))
