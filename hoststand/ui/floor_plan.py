"""The floor plan: every table at its place, coloured by its state, with the party, covers, minutes seated and
the marks a host must see (allergy above all). A `QGraphicsView` over a scene of one item per table.

Refreshes are incremental: `FloorPlanView.set_floor` hands each existing item its new `TableView` and an
item repaints only when its view changed. Items cache their drawing in device pixels, so a repaint of the
whole room is a blit of ready pixmaps. Text and marks keep a readable size on screen whatever the zoom,
and lines that do not fit a small table are dropped, least important first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)
from PySide6.QtWidgets import (
    QLabel,
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QStyleOptionGraphicsItem,
    QToolButton,
    QWidget,
)

from hoststand.domain.model import Section, TableShape, TableState
from hoststand.services.views import FloorView, TableView
from hoststand.ui import marks, theme

MARGIN = 40.0  # floor units around the room (the panning limits)
TOOLBAR_H = 56  # pixels under the plan for the colour key and the zoom buttons
FIT_MARGIN = 14.0  # floor units kept around the tables and sections when fitting
ZOOM_STEP = 1.25
ZOOM_MIN = 0.5  # relative to the fitted scale
ZOOM_MAX = 4.0
_BADGE_MAX = 34.0  # largest mark, floor units; also the item's margin for badges
_PILL_MAX = 30.0

REPAINT_BATCH = 12  # table items re-rendered per frame when many change at once (see FloorPlanView)
SMALL_ROOM = 24  # a room this size redraws in full at once on a zoom (no draft frame)
REPAINT_GAP_MS = 16


@functools.lru_cache(maxsize=256)
def _font(pixel_size: int, bold: bool) -> tuple[QFont, QFontMetricsF]:
    """The interface font at a whole pixel size, with its metrics: built once, not on every paint."""
    f = theme.font(pixel_size, bold=bold)
    return f, QFontMetricsF(f)


_SEATED_STATES = (
    TableState.SEATED,
    TableState.ORDERED,
    TableState.MAINS,
    TableState.DESSERT,
    TableState.CHECK_DROPPED,
    TableState.PAID,
)


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def short_name(name: str) -> str:
    """The name a host calls a party by: the last word ("Ann Smith" → "Smith")."""
    words = name.split()
    return words[-1] if len(words) > 1 else name


def table_lines(t: TableView) -> list[list[tuple[str, str]]]:
    """What a table says, as layouts from the fullest to the tersest; each a list of (role, text), most
    important line first, role being name/party/meta. The painter takes the first layout that fits.
    """
    name = ("name", t.name)
    party = t.party_name or ""
    if t.state in _SEATED_STATES or (t.state is TableState.STALE and party):
        party = party or "Walk-in"
        mins = f"{t.seated_minutes} min" if t.seated_minutes is not None else ""
        meta = " · ".join(x for x in (str(t.covers or ""), mins) if x)
        return [
            [name, ("party", party), ("meta", meta)],
            [name, ("party", short_name(party)), ("meta", meta)],
            [name, ("party", short_name(party)), ("meta", mins or meta)],
        ]
    if t.state is TableState.HELD:
        when = t.next_time_local.strftime("%H:%M") if t.next_time_local else ""
        guests = f"{t.covers} guests" if t.covers else ""
        return [
            [name, ("party", f"{when} {party}".strip()), ("meta", guests)],
            [name, ("party", f"{when} {short_name(party)}".strip()), ("meta", guests)],
            [name, ("party", short_name(party)), ("meta", when)],
        ]
    if t.state is TableState.BLOCKED:
        return [[name, ("meta", "Blocked")]]
    seats = f"{t.min_seats}–{t.max_seats}" if t.min_seats != t.max_seats else f"{t.max_seats}"
    nxt = t.next_time_local.strftime("%H:%M") if t.next_time_local else ""
    return [
        [name, ("meta", f"{seats} seats"), ("meta", f"next {nxt}" if nxt else "")],
        [name, ("meta", seats), ("meta", f"next {nxt}" if nxt else "")],
        [name, ("meta", seats), ("meta", nxt)],
    ]


def table_summary(t: TableView) -> str:
    """The table in plain words (tooltip, accessibility)."""
    style = theme.table_style(t.state)
    parts = [f"Table {t.name} · {t.min_seats}–{t.max_seats} seats · {style.label}"]
    if t.party_name:
        who = f"{t.party_name}" + (f" ({t.covers})" if t.covers else "")
        if t.seated_minutes is not None:
            who += f", {t.seated_minutes} min"
        parts.append(who)
    if t.stage is not None:
        parts.append(theme.STAGE_LABELS.get(t.stage, t.stage.value))
    if t.has_allergy:
        parts.append("ALLERGY — see the party's details")
    if t.occasion:
        parts.append(t.occasion)
    if t.vip:
        parts.append("VIP")
    if t.pending:
        parts.append("A change is on its way to the POS")
    if not t.pos_linked:
        parts.append("Not on the POS: check the table's POS name")
    if t.stale:
        parts.append("No recent word from the POS: this may be out of date")
    if t.next_time_local and t.state is not TableState.HELD:
        parts.append(f"Next: {t.next_time_local.strftime('%H:%M')} {t.next_name or ''}".strip())
    return "\n".join(parts)


class TableItem(QGraphicsItem):
    """One table. Positioned at its centre; the shape turns with the table's rotation, the text stays upright."""

    def __init__(self, view: TableView) -> None:
        super().__init__()
        self._view = view
        self._selected = False
        self._highlighted = False
        # who repaints this item after a change of state (the plan spreads many over frames); else at once
        self.repaint: Callable[[TableItem], None] = TableItem.update
        self.draft = False  # drawn with its colour and name only (see FloorPlanView._scale_changed)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(False)
        self._apply_geometry(view)
        self.setToolTip(table_summary(view))

    # ------------------------------------------------------------------------------ state

    @property
    def table_id(self) -> str:
        return self._view.id

    @property
    def view(self) -> TableView:
        return self._view

    @property
    def is_selected(self) -> bool:
        return self._selected

    @property
    def is_highlighted(self) -> bool:
        return self._highlighted

    def set_view(self, view: TableView) -> bool:
        """Take the table's new state; repaint only if it changed. True when it changed."""
        if view == self._view:
            return False
        old = self._view
        if (old.x, old.y, old.w, old.h, old.rotation, old.shape) != (view.x, view.y, view.w, view.h, view.rotation, view.shape):
            self.prepareGeometryChange()
            self._view = view
            self._apply_geometry(view)
        else:
            self._view = view
        self.setToolTip(table_summary(view))
        self.repaint(self)
        return True

    def set_selected(self, on: bool) -> None:
        if on != self._selected:
            self._selected = on
            self.setZValue(2 if on else 0)
            self.update()

    def set_highlighted(self, on: bool) -> None:
        if on != self._highlighted:
            self._highlighted = on
            self.update()

    # --------------------------------------------------------------------------- geometry

    def _apply_geometry(self, v: TableView) -> None:
        self.setPos(v.x + v.w / 2, v.y + v.h / 2)
        self._body = QRectF(-v.w / 2, -v.h / 2, v.w, v.h)
        self._turn = QTransform().rotate(v.rotation) if v.rotation else QTransform()
        path = self._shape_path(self._body, v.shape)
        self._outline = self._turn.map(path) if v.rotation else path
        box = self._outline.boundingRect()
        self._bounds = box.adjusted(-_BADGE_MAX, -_BADGE_MAX, _BADGE_MAX, _BADGE_MAX + _PILL_MAX)
        hit = QPainterPath()
        hit.addRect(box.adjusted(-8, -8, 8, 8))
        self._hit = hit

    @staticmethod
    def _shape_path(r: QRectF, shape: TableShape) -> QPainterPath:
        path = QPainterPath()
        if shape is TableShape.ROUND:
            path.addEllipse(r)
        elif shape is TableShape.BOOTH:
            radius = min(r.width(), r.height()) * 0.28
            path.addRoundedRect(r, radius, radius)
        else:
            radius = min(r.width(), r.height()) * 0.1
            path.addRoundedRect(r, radius, radius)
        return path

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._hit

    # ------------------------------------------------------------------------------ paint

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        v = self._view
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(p.worldTransform()) or 1.0
        px = 1.0 / lod  # one device pixel in floor units
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        style = theme.table_style(v.state)
        fill = QColor(style.fill)
        border = QColor(style.border)
        text = QColor(style.text)
        if v.stale and v.state is not TableState.FREE:
            stale = theme.TABLE_STATES[TableState.STALE]
            fill = _mix(fill, stale.fill, 0.55)
            border, text = stale.border, stale.text

        # Selection ring, under the table.
        if self._selected or self._highlighted:
            grow = 7 * px
            ring = QPen(theme.SELECTION, (4 if self._selected else 2.5) * px)
            if not self._selected:
                ring.setStyle(Qt.PenStyle.DashLine)
            p.setPen(ring)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(_grown(self._body, self._turn, v.shape, grow))

        # Body.
        border_w = 2.0 * px
        if v.state is TableState.HELD:
            border_w = 3.0 * px
        if v.has_allergy:
            border, border_w = theme.ALLERGY, 4.0 * px
        p.setPen(QPen(border, border_w))
        p.setBrush(fill)
        p.drawPath(self._outline)
        if v.state is TableState.BLOCKED or (v.stale and v.state is not TableState.FREE):
            hatch = QBrush(QColor(0, 0, 0, 40), Qt.BrushStyle.BDiagPattern)
            hatch.setTransform(QTransform.fromScale(px * 1.5, px * 1.5))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(hatch)
            p.drawPath(self._outline)

        if self.draft:  # just after a zoom or a refit: colour and name now, the rest a moment later
            f, fm = _font(max(1, round(_clamp(16 * px, 12, 44))), True)
            p.setFont(f)
            p.setPen(text)
            p.drawText(self._body, Qt.AlignmentFlag.AlignCenter,
                       fm.elidedText(v.name, Qt.TextElideMode.ElideRight, self._body.width() * 0.9))
            return
        self._paint_text(p, v, text, px)
        self._paint_marks(p, v, px)

    def _paint_text(self, p: QPainter, v: TableView, color: QColor, px: float) -> None:
        body = self._body if not v.rotation or v.shape is TableShape.ROUND else self._outline.boundingRect()
        inset = 0.14 if v.shape is TableShape.ROUND else 0.05
        area = body.adjusted(body.width() * inset, body.height() * inset, -body.width() * inset, -body.height() * inset)
        sizes = {"name": _clamp(16 * px, 12, 44), "party": _clamp(13 * px, 10, 34), "meta": _clamp(12 * px, 9, 30)}
        fonts = {role: _font(max(1, round(size)), role != "meta") for role, size in sizes.items()}
        # The fullest layout that fits; lines that do not fit the height go, least important first.
        lines: list[tuple[str, str]] = []
        layouts = table_lines(v)
        for i, layout in enumerate(layouts):
            lines = [(r, w) for r, w in layout if w]
            while len(lines) > 1 and sum(fonts[r][1].height() for r, _ in lines) > area.height():
                lines.pop()
            if all(fonts[r][1].horizontalAdvance(w) <= area.width() for r, w in lines):
                break
            if i == len(layouts) - 1:
                lines = [(r, fonts[r][1].elidedText(w, Qt.TextElideMode.ElideRight, area.width())) for r, w in lines]
        total = sum(fonts[r][1].height() for r, _ in lines)
        y = area.center().y() - total / 2
        for role, words in lines:
            f, fm = fonts[role]
            p.setFont(f)
            c = QColor(color)
            if role == "meta":
                c.setAlphaF(0.85)
            p.setPen(c)
            p.drawText(QRectF(area.left(), y, area.width(), fm.height()), Qt.AlignmentFlag.AlignCenter, words)
            y += fm.height()

    def _paint_marks(self, p: QPainter, v: TableView, px: float) -> None:
        box = self._outline.boundingRect()
        if v.shape is TableShape.ROUND:  # sit the badges on the circle, not on its bounding box corners
            box = box.adjusted(box.width() * 0.12, box.height() * 0.12, -box.width() * 0.12, -box.height() * 0.12)
        if v.has_allergy:
            s = _clamp(24 * px, 14, _BADGE_MAX)
            r = QRectF(box.left() - s / 2, box.top() - s / 2, s, s)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("white"))
            p.drawEllipse(r.adjusted(-2 * px, -2 * px, 2 * px, 2 * px))
            marks.paint_mark(p, marks.ALLERGY, r)
        small = [k for k, on in ((marks.OCCASION, bool(v.occasion)), (marks.VIP, v.vip), (marks.PENDING, v.pending)) if on]
        s = _clamp(18 * px, 11, _BADGE_MAX * 0.8)
        x = box.right() + s / 2 - s * len(small)
        for kind in small:
            r = QRectF(x, box.top() - s / 2, s, s)
            p.setPen(QPen(theme.LINE, 1 * px))
            p.setBrush(QColor("white"))
            p.drawEllipse(r.adjusted(-2 * px, -2 * px, 2 * px, 2 * px))
            marks.paint_mark(p, kind, r.adjusted(2 * px, 2 * px, -2 * px, -2 * px))
            x += s + 1 * px
        if not v.pos_linked:
            f, fm = _font(max(1, round(_clamp(11 * px, 8, 22))), True)
            label = "not on POS"
            h = fm.height() + 4 * px
            w = fm.horizontalAdvance(label) + h + 8 * px
            pill = QRectF(box.center().x() - w / 2, box.bottom() - h / 2, w, h)
            p.setPen(QPen(QColor("white"), 1.5 * px))
            p.setBrush(theme.WARNING)
            p.drawRoundedRect(pill, h / 2, h / 2)
            icon = QRectF(pill.left() + 3 * px, pill.top() + 2 * px, h - 4 * px, h - 4 * px)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("white"))
            p.drawEllipse(icon)
            marks.paint_mark(p, marks.WARNING, icon.adjusted(1 * px, 1 * px, -1 * px, -1 * px))
            p.setFont(f)
            p.setPen(QColor("white"))
            p.drawText(pill.adjusted(h, 0, -4 * px, 0), Qt.AlignmentFlag.AlignCenter, label)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() * (1 - t) + b.red() * t),
        round(a.green() * (1 - t) + b.green() * t),
        round(a.blue() * (1 - t) + b.blue() * t),
    )


def _grown(body: QRectF, turn: QTransform, shape: TableShape, by: float) -> QPainterPath:
    path = TableItem._shape_path(body.adjusted(-by, -by, by, by), shape)
    return turn.map(path)


class SectionItem(QGraphicsItem):
    """A section of the room, drawn lightly: a tinted area around its tables and its name."""

    def __init__(self, section: Section, area: QRectF) -> None:
        super().__init__()
        self.section = section
        self._area = area
        self.setZValue(-1)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:
        return self._area.adjusted(-2, -2, 2, 2)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(p.worldTransform()) or 1.0
        px = 1.0 / lod
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        c = QColor(self.section.color)
        tint = QColor(c)
        tint.setAlpha(22)
        edge = QColor(c)
        edge.setAlpha(90)
        pen = QPen(edge, 1.5 * px)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(tint)
        p.drawRoundedRect(self._area, 18, 18)
        f = theme.font(_clamp(11 * px, 9, 30), bold=True)
        f.setLetterSpacing(f.SpacingType.AbsoluteSpacing, 0.6 * px)
        p.setFont(f)
        p.setPen(c.darker(160))
        fm = QFontMetricsF(f)
        label = fm.elidedText(self.section.name.upper(), Qt.TextElideMode.ElideRight, self._area.width() - 16)
        p.drawText(QPointF(self._area.left() + 8, self._area.top() + 8 + fm.ascent()), label)


class RoomItem(QGraphicsItem):
    """The room itself: a white floor with a soft edge (kept as a picture: an antialiased fill of the whole room
    cost up to 10 ms of every repaint of the plan, even of one table)."""

    def __init__(self, rect: QRectF) -> None:
        super().__init__()
        self._rect = rect
        self.setZValue(-2)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-6, -6, 6, 6)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(20, 30, 50, 18))
        p.drawRoundedRect(self._rect.translated(0, 4), 14, 14)
        p.setPen(QPen(theme.LINE, 2))
        p.setBrush(theme.PAPER)
        p.drawRoundedRect(self._rect, 14, 14)


def section_areas(floor: FloorView) -> dict[str, QRectF]:
    """Each section's area: the box around its tables, with room for its name."""
    areas: dict[str, QRectF] = {}
    for t in floor.tables:
        r = QRectF(t.x, t.y, t.w, t.h)
        if t.rotation:
            r = QTransform().translate(r.center().x(), r.center().y()).rotate(t.rotation).translate(
                -r.center().x(), -r.center().y()
            ).mapRect(r)
        areas[t.section_id] = areas[t.section_id].united(r) if t.section_id in areas else r
    room = QRectF(0, 0, floor.width, floor.height)
    return {sid: r.adjusted(-22, -46, 22, 22).intersected(room.adjusted(10, 10, -10, -10)) for sid, r in areas.items()}


class _Legend(QFrame):
    """Colour key for the table states, at the foot of the plan."""

    STATES = (
        TableState.FREE,
        TableState.HELD,
        TableState.SEATED,
        TableState.ORDERED,
        TableState.MAINS,
        TableState.DESSERT,
        TableState.CHECK_DROPPED,
    )

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("floorLegend")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._font = theme.font(11)

    def sizeHint(self) -> QSize:
        fm = QFontMetricsF(self._font)
        w = sum(fm.horizontalAdvance(theme.table_style(s).label) + 26 for s in self.STATES) + 12
        return QSize(round(w), round(fm.height() + 12))

    def paintEvent(self, event) -> None:  # noqa: ANN001
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setFont(self._font)
        fm = QFontMetricsF(self._font)
        x = 8.0
        cy = self.height() / 2
        for s in self.STATES:
            st = theme.table_style(s)
            p.setPen(QPen(st.border, 1.5))
            p.setBrush(st.fill)
            p.drawRoundedRect(QRectF(x, cy - 6, 12, 12), 3, 3)
            x += 17
            p.setPen(theme.MUTED)
            label = st.label
            p.drawText(QPointF(x, cy + fm.ascent() / 2 - 1), label)
            x += fm.horizontalAdvance(label) + 9
        p.end()


class FloorPlanView(QGraphicsView):
    """The room, fitted to the widget; tap a table to select it, double-tap to act on it."""

    table_selected = Signal(str)  # a table was tapped
    table_activated = Signal(str)  # a table was double-tapped
    first_painted = Signal()  # once, after the first paint that showed tables

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("floorPlan")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._items: dict[str, TableItem] = {}
        self._sections: dict[str, SectionItem] = {}
        self._room: RoomItem | None = None
        self._content = QRectF()
        self._layout_key: tuple | None = None
        self._selected: str | None = None
        self._highlighted: set[str] = set()
        self._fitted = True
        self._fit_scale = 1.0
        self._painted = False
        self._pressed_on_table = False
        # Items whose new state is not painted yet. Re-rendering a table costs ~0.5 ms of Python, so a pull
        # that changes 150 tables at once would hold the screen ~80 ms (more on a busy machine): they are
        # repainted REPAINT_BATCH per frame instead, the first batch at once.
        self._to_repaint: dict[int, TableItem] = {}
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(REPAINT_GAP_MS)
        self._repaint_timer.timeout.connect(self._repaint_batch)
        self._unpainted_batch = 0  # timer turns since a batch was queued and the plan has not painted it yet

        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(theme.CANVAS)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self.setMinimumSize(320, 220)

        self._controls = QFrame(self)
        self._controls.setObjectName("zoomControls")
        row = QHBoxLayout(self._controls)
        row.setContentsMargins(4, 4, 4, 4)
        row.setSpacing(4)
        self.zoom_out_button = self._tool("−", "Zoom out (−)", self.zoom_out)
        self.zoom_in_button = self._tool("+", "Zoom in (+)", self.zoom_in)
        self.fit_button = self._tool("Fit", "Fit the room to the window", self.fit)
        for b in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            row.addWidget(b)
        self._legend = _Legend(self)
        self.pos_only_note = QLabel(self)  # POS tables the floor plan does not place (a bar, a patio): named, never hidden
        self.pos_only_note.setObjectName("posOnlyNote")
        self.pos_only_note.hide()
        self._note_h = 0  # height of the note's strip (0 when no POS table is off the plan)
        self.setViewportMargins(0, 0, 0, TOOLBAR_H)  # a strip under the plan for the key and the zoom buttons
        self._place_overlays()

    def _tool(self, text: str, tip: str, slot) -> QToolButton:  # noqa: ANN001
        b = QToolButton(self._controls)
        b.setText(text)
        b.setToolTip(tip)
        b.setAccessibleName(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setObjectName("zoomButton")
        b.clicked.connect(slot)
        return b

    # ------------------------------------------------------------------------------ content

    def set_floor(self, floor: FloorView) -> None:
        """Show `floor`: existing items take their new state; items are added or removed only as needed."""
        key = (floor.width, floor.height, floor.sections,
               tuple((t.id, t.section_id, t.x, t.y, t.w, t.h, t.rotation) for t in floor.tables))
        if key != self._layout_key:
            self._layout_key = key
            self._rebuild_room(floor)
        wanted = {t.id for t in floor.tables}
        for tid in [t for t in self._items if t not in wanted]:
            self._scene.removeItem(self._items.pop(tid))
            if self._selected == tid:
                self._selected = None
        added: list[TableItem] = []
        for t in floor.tables:
            item = self._items.get(t.id)
            if item is None:
                item = self._items[t.id] = TableItem(t)
                item.repaint = self._queue_repaint
                item.set_selected(t.id == self._selected)
                item.set_highlighted(t.id in self._highlighted)
                self._scene.addItem(item)
                added.append(item)
            else:
                item.set_view(t)
        if len(added) > REPAINT_BATCH:  # a big room arriving (the first pull): it appears a batch per frame
            for item in added[REPAINT_BATCH:]:
                item.setVisible(False)
                self._to_repaint[id(item)] = item
            self._unpainted_batch = 1  # the first batch is the one shown now
        if not self._repaint_timer.isActive():
            self._repaint_batch()
        extra = ", ".join(floor.unlinked_pos_tables)
        self.pos_only_note.setText(f"Also on the POS, not on this plan: {extra}" if extra else "")
        self.pos_only_note.setToolTip(
            "Tickets at these POS tables still count in covers; add them to the floor plan to see them here."
        )
        shown = bool(extra)
        if shown != self.pos_only_note.isVisible() or shown:
            self.pos_only_note.setVisible(shown)
            # the note gets a strip of its own above the key, so it never covers a table; the plan refits
            self.pos_only_note.adjustSize()
            note_h = self.pos_only_note.height() + 6 if shown else 0
            if note_h != self._note_h:
                self._note_h = note_h
                self.setViewportMargins(0, 0, 0, TOOLBAR_H + note_h)
                if self._fitted:
                    QTimer.singleShot(0, self._refit_if_fitted)
        self._place_overlays()

    def _queue_repaint(self, item: TableItem) -> None:
        self._to_repaint[id(item)] = item

    def _repaint_batch(self) -> None:
        """Queue the next batch for the next paint, once the previous one has been painted: on a busy machine
        two timer turns can pass before one paint, and two batches in one frame make a frame twice as long.
        (A batch all out of sight never paints: after a few turns the next goes anyway.)"""
        if 0 < self._unpainted_batch < 4:
            self._unpainted_batch += 1
            self._repaint_timer.start()
            return
        for key in list(self._to_repaint)[:REPAINT_BATCH]:
            item = self._to_repaint.pop(key)
            if item.scene() is self._scene:
                item.draft = False
                if item.isVisible():
                    item.update()
                else:
                    item.setVisible(True)
        self._unpainted_batch = 1
        if self._to_repaint:
            self._repaint_timer.start()

    def _scale_changed(self) -> None:
        """A zoom or a refit makes every table draw itself again at the new size, all in one frame: a
        quick draft (colour and name) now, the full drawing a batch per frame after."""
        if len(self._items) <= SMALL_ROOM:
            return  # a small room redraws in full at once
        for item in self._items.values():
            item.draft = True
            self._to_repaint[id(item)] = item
        if not self._repaint_timer.isActive():
            self._repaint_timer.start()

    def _rebuild_room(self, floor: FloorView) -> None:
        if self._room is not None:
            self._scene.removeItem(self._room)
        for s in self._sections.values():
            self._scene.removeItem(s)
        self._sections.clear()
        room = QRectF(0, 0, floor.width, floor.height)
        self._room = RoomItem(room)
        self._scene.addItem(self._room)
        areas = section_areas(floor)
        for section in floor.sections:
            if section.id in areas:
                item = SectionItem(section, areas[section.id])
                self._sections[section.id] = item
                self._scene.addItem(item)
        content = QRectF()
        for r in areas.values():
            content = content.united(r)
        for t in floor.tables:
            content = content.united(QRectF(t.x, t.y, t.w, t.h))
        self._content = content.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN) if content.isValid() else room
        self._scene.setSceneRect(room.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))
        if self._fitted:
            self.fit()

    def table_item(self, table_id: str) -> TableItem | None:
        return self._items.get(table_id)

    def table_ids(self) -> list[str]:
        return list(self._items)

    # ---------------------------------------------------------------------------- selection

    def selected_table_id(self) -> str | None:
        return self._selected

    def select_table(self, table_id: str | None, *, notify: bool = False) -> None:
        """Select `table_id` (None: nothing). With `notify`, emit `table_selected` as a tap would."""
        if table_id is not None and table_id not in self._items:
            table_id = None
        if table_id != self._selected:
            old = self._items.get(self._selected) if self._selected else None
            if old is not None:
                old.set_selected(False)
            self._selected = table_id
            if table_id is not None:
                self._items[table_id].set_selected(True)
                self.ensure_visible(table_id)
        if notify and table_id is not None:
            self.table_selected.emit(table_id)

    def highlight_tables(self, table_ids: Iterable[str]) -> None:
        """Mark the tables of the party selected elsewhere (the list) with a dashed ring."""
        wanted = set(table_ids)
        for tid in self._highlighted | wanted:
            item = self._items.get(tid)
            if item is not None:
                item.set_highlighted(tid in wanted)
        self._highlighted = wanted

    def ensure_visible(self, table_id: str) -> None:
        item = self._items.get(table_id)
        if item is not None and not self._fitted:
            self.ensureVisible(item.sceneBoundingRect(), 40, 40)

    # ---------------------------------------------------------------------------------- zoom

    @property
    def is_fitted(self) -> bool:
        return self._fitted

    def zoom(self) -> float:
        """The current scale relative to the fitted one (1.0 when fitted)."""
        return self.transform().m11() / self._fit_scale if self._fit_scale else 1.0

    def fit(self) -> None:
        """Fit the tables (and their sections) in the view, keeping the room's proportions."""
        rect = self._content
        if rect.isEmpty() or self.viewport().width() < 2:
            return
        before = self.transform().m11()
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_scale = self.transform().m11() or 1.0
        self._fitted = True
        if abs(self._fit_scale - before) > 1e-9:
            self._scale_changed()

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def zoom_by(self, factor: float) -> None:
        current = self.zoom()
        target = _clamp(current * factor, ZOOM_MIN, ZOOM_MAX)
        if abs(target - current) < 1e-6:
            return
        self.scale(target / current, target / current)
        self._fitted = abs(target - 1.0) < 1e-6
        self._scale_changed()

    # ------------------------------------------------------------------------------- events

    def _table_at(self, pos) -> TableItem | None:  # noqa: ANN001
        for item in self.items(pos):
            if isinstance(item, TableItem):
                return item
        return None

    def mousePressEvent(self, event) -> None:  # noqa: ANN001
        item = self._table_at(event.position().toPoint())
        self._pressed_on_table = item is not None and event.button() == Qt.MouseButton.LeftButton
        if self._pressed_on_table:
            self.select_table(item.table_id, notify=True)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: ANN001
        if self._pressed_on_table and event.button() == Qt.MouseButton.LeftButton:
            self._pressed_on_table = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: ANN001
        item = self._table_at(event.position().toPoint())
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            self._pressed_on_table = True
            self.table_activated.emit(item.table_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: ANN001
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
                self.zoom_by(ZOOM_STEP**steps)
                self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: ANN001
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected:
            self.table_activated.emit(self._selected)
        else:
            event.ignore()  # letters go on to the window, which types them into the search field
            return
        event.accept()

    def viewportEvent(self, event) -> bool:  # noqa: ANN001
        t = event.type()
        if t == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                factor = pinch.scaleFactor()
                if factor > 0:
                    self.zoom_by(factor)
                event.accept()
                return True
        if t == QEvent.Type.NativeGesture and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value())
            event.accept()
            return True
        return super().viewportEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
        self._place_overlays()

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        if self._fitted:
            QTimer.singleShot(0, self._refit_if_fitted)

    def _refit_if_fitted(self) -> None:
        if self._fitted:
            self.fit()

    def _place_overlays(self) -> None:
        self._controls.adjustSize()
        c = self._controls.size()
        strip_top = self.height() - TOOLBAR_H
        self._controls.move(self.width() - c.width() - 10, strip_top + (TOOLBAR_H - c.height()) // 2)
        self._legend.resize(self._legend.sizeHint())
        lg = self._legend.size()
        self._legend.move(12, strip_top + (TOOLBAR_H - lg.height()) // 2)
        self._legend.setVisible(self.width() - c.width() - 36 > lg.width())
        self.pos_only_note.adjustSize()
        self.pos_only_note.move(10, strip_top - self.pos_only_note.height() - 3)

    def paintEvent(self, event) -> None:  # noqa: ANN001
        super().paintEvent(event)
        self._unpainted_batch = 0
        if not self._painted and self._items:
            self._painted = True
            self.first_painted.emit()
