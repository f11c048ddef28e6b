"""受理回执: the printable PDF receipt an applicant gets at intake.

Chinese needs a CJK font. A TrueType CJK font found on the machine is embedded
(Debian's fonts-wqy-microhei, fonts-wqy-zenhei or fonts-droid-fallback; CI
installs the first); without one, reportlab's built-in Adobe CID font
STSong-Light is used, which every PDF reader resolves to a local Song face.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

TRUETYPE_CJK = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),
)


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register and name the CJK font the receipt is set in."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in TRUETYPE_CJK:
        if Path(path).exists():
            try:
                kwargs = {"subfontIndex": index} if index is not None else {}
                pdfmetrics.registerFont(TTFont("OnethingCJK", path, **kwargs))
                return "OnethingCJK"
            except Exception:  # a font reportlab cannot read: try the next one
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _local(value, zone: str) -> str:
    """An instant as the matter's calendar's local time (progress' `time_zone`)."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def receipt_pdf(progress: dict, query_code: str, progress_url: str) -> bytes:
    """One A4 page: matter, case number, query code, dates, departments, a QR code."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"受理回执 {progress['case_no']}")
    width, height = A4
    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, height - 30 * mm, "受理回执")
    pdf.setFont(font, 11)
    title = progress["matter"]["title"]
    rows = [
        ("事项名称", title.get("zh") or title.get("en") or progress["matter"]["key"]),
        ("办件编号", progress["case_no"]),
        ("查询码", query_code),
        ("申请时间", _local(progress.get("submitted_at"), progress["time_zone"])),
        ("受理时间", _local(progress.get("accepted_at"), progress["time_zone"])),
        ("承诺办结时间", _local(progress.get("due_at"), progress["time_zone"])),
    ]
    y = height - 50 * mm
    for label, value in rows:
        pdf.drawString(25 * mm, y, f"{label}：")
        pdf.drawString(60 * mm, y, str(value))
        y -= 9 * mm
    departments = []
    for step in progress.get("steps", []):
        name = (step.get("department_name") or {}).get("zh") or step["department"]
        if name not in departments:
            departments.append(name)
    if departments:
        pdf.drawString(25 * mm, y, "办理部门：")
        pdf.drawString(60 * mm, y, "、".join(departments))
        y -= 9 * mm
    size = 45 * mm
    qr = QrCodeWidget(progress_url)
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, width - 25 * mm - size, height - 50 * mm - size + 10 * mm)
    pdf.setFont(font, 9)
    pdf.drawCentredString(
        width - 25 * mm - size / 2, height - 50 * mm - size + 6 * mm, "扫码查看办理进度"
    )
    y -= 6 * mm
    notes = [
        "请妥善保管办件编号和查询码，凭此查询办理进度、补正材料、撤回申请和评价。",
        "查询码相当于密码，请勿告知他人。",
        f"进度查询：{progress_url}",
    ]
    for line in notes:
        pdf.drawString(25 * mm, y, line[:70])
        y -= 6 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
