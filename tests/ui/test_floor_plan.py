"""The floor plan: fits its widget, updates items in place, selects by tap, zooms, and draws the marks that
must not be missed."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from hoststand.domain.model import Section, TableShape, TableState
from hoststand.services.views import FloorView, TableView
from hoststand.ui.floor_plan import FloorPlanView, table_lines


def _visible(view: FloorPlanView, table_id: str) -> bool:
    item = view.table_item(table_id)
    body = item.mapRectToScene(item._outline.boundingRect())
    polygon = view.mapFromScene(body)
    return view.viewport().rect().contains(polygon.boundingRect())


def _floor(n: int = 3, **overrides) -> FloorView:
    tables = []
    for i in range(n):
        tables.append(
            TableView(id=f"T{i}", name=str(i), section_id="main", shape=TableShape.SQUARE, x=40 + (i % 10) * 130,
                      y=60 + (i // 10) * 130, w=100, h=100, rotation=0, min_seats=2, max_seats=4, state=TableState.FREE)
        )
    if overrides:
        tables[0] = replace(tables[0], **overrides)
    width = max(t.x + t.w for t in tables) + 40
    height = max(t.y + t.h for t in tables) + 40
    return FloorView(name="Test", width=width, height=height, sections=(Section("main", "Main"),), tables=tuple(tables))


def _render(view: FloorPlanView) -> QImage:
    img = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    view.render(p, QRectF(img.rect()), view.viewport().rect())
    p.end()
    return img


def _is_red(c: QColor) -> bool:
    return c.red() > 180 and c.green() < 90 and c.blue() < 90


def _red_around(view: FloorPlanView, img: QImage, scene_point: QPointF, radius: int = 4) -> float:
    """The share of red pixels in a small square around `scene_point`."""
    pt: QPoint = view.mapFromScene(scene_point)
    pixels = [img.pixelColor(pt.x() + dx, pt.y() + dy) for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1)]
    return sum(_is_red(c) for c in pixels) / len(pixels)


def test_the_whole_room_fits_the_view_at_both_sizes(window, qtbot):
    fv = window.floor_view
    for size in ((1440, 900), (1280, 800), (1024, 700)):
        window.resize(*size)
        qtbot.wait(20)
        assert fv.is_fitted
        missing = [t for t in fv.table_ids() if not _visible(fv, t)]
        assert missing == [], f"tables outside the view at {size}: {missing}"


def test_the_note_naming_pos_only_tables_never_covers_a_table(qtbot):
    """Found on the demo's screenshot: the note sat over the plan's bottom edge, across a table."""
    view = FloorPlanView()
    qtbot.addWidget(view)
    view.resize(1300, 400)  # a plan that fills the height: its bottom row sits on the strip under it
    floor = _floor(30)
    view.set_floor(floor)
    view.show()
    qtbot.waitExposed(view)
    view.fit()
    view.set_floor(replace(floor, unlinked_pos_tables=("Bar 1", "Bar 2")))
    qtbot.waitUntil(lambda: view.pos_only_note.isVisible(), timeout=1000)
    qtbot.wait(20)
    assert "Bar 1" in view.pos_only_note.text()
    assert view.is_fitted
    note = view.pos_only_note.geometry()
    assert not view.viewport().geometry().intersects(note), "the note lies over the plan"
    missing = [t for t in view.table_ids() if not _visible(view, t)]
    assert missing == [], f"tables outside the plan once the note is shown: {missing}"


def test_zoom_and_fit(window, qtbot):
    fv = window.floor_view
    qtbot.mouseClick(fv.zoom_in_button, Qt.MouseButton.LeftButton)
    assert fv.zoom() == pytest.approx(1.25)
    assert not fv.is_fitted
    fv.setFocus()
    qtbot.keyClick(fv, Qt.Key.Key_Minus)
    assert fv.zoom() == pytest.approx(1.0)
    for _ in range(3):
        fv.zoom_in()
    qtbot.mouseClick(fv.fit_button, Qt.MouseButton.LeftButton)
    assert fv.is_fitted and fv.zoom() == pytest.approx(1.0)
    for _ in range(30):
        fv.zoom_in()
    assert fv.zoom() <= 4.0  # bounded


def test_tap_selects_a_table(qtbot):
    view = FloorPlanView()
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.set_floor(_floor(3))
    view.show()
    qtbot.waitExposed(view)
    view.fit()
    item = view.table_item("T1")
    with qtbot.waitSignal(view.table_selected, timeout=1000) as sig:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(item.scenePos()))
    assert sig.args == ["T1"]
    assert item.is_selected and view.selected_table_id() == "T1"
    with qtbot.waitSignal(view.table_activated, timeout=1000) as sig:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(item.scenePos()))
    assert sig.args == ["T1"]


def test_refreshes_update_items_in_place(qtbot):
    view = FloorPlanView()
    qtbot.addWidget(view)
    floor = _floor(150)
    view.set_floor(floor)
    items = {tid: view.table_item(tid) for tid in view.table_ids()}
    n_scene = len(view.scene().items())

    changed = replace(floor, tables=(replace(floor.tables[0], state=TableState.MAINS, party_name="Smith", covers=4),
                                     *floor.tables[1:]))
    updated = []
    for item in items.values():
        original = item.set_view
        item.set_view = lambda v, _o=original, _id=item.table_id: (updated.append(_id) if _o(v) else None)
    view.set_floor(changed)
    assert updated == ["T0"]  # only the table that changed repaints
    assert {tid: view.table_item(tid) for tid in view.table_ids()} == items
    assert len(view.scene().items()) == n_scene
    assert view.table_item("T0").view.state is TableState.MAINS


class _Frames(QObject):
    """Which tables the plan draws in full (`TableItem._paint_text` runs once per table drawn in full), with
    a "|" where each paint of the plan begins, while `watching`."""

    def __init__(self, view, monkeypatch) -> None:  # noqa: ANN001
        super().__init__()
        from hoststand.ui import floor_plan

        self.view = view
        self.painted: list[str] = []
        original = floor_plan.TableItem._paint_text
        monkeypatch.setattr(floor_plan.TableItem, "_paint_text",
                            lambda item, *a: (self.painted.append(item.table_id), original(item, *a))[1])

    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.painted.append("|")
        return False

    @contextmanager
    def watching(self, qtbot):  # noqa: ANN001
        """Mark every paint meanwhile, then let the queued batches be drawn."""
        from hoststand.ui import floor_plan

        self.view.viewport().installEventFilter(self)
        try:
            yield
            for _ in range(80):
                qtbot.wait(floor_plan.REPAINT_GAP_MS)
                if not self.view._to_repaint:
                    break
            qtbot.wait(floor_plan.REPAINT_GAP_MS * 2)
        finally:
            self.view.viewport().removeEventFilter(self)

    def per_frame(self) -> list[int]:
        return [len(chunk) for chunk in "".join("x" if t != "|" else "|" for t in self.painted).split("|")]

    def drawn(self) -> set[str]:
        return {t for t in self.painted if t != "|"}


def test_a_big_room_arriving_appears_a_batch_per_frame(qtbot, monkeypatch):
    """The first pull brings 150 tables into an empty plan: they appear a batch per frame, so no frame draws
    more than a batch of them, and within a few frames every one is on the plan, drawn in full."""
    from hoststand.ui import floor_plan

    view = FloorPlanView()
    qtbot.addWidget(view)
    view.resize(1000, 800)
    view.show()
    qtbot.waitExposed(view)
    frames = _Frames(view, monkeypatch)
    floor = _floor(150)
    with frames.watching(qtbot):
        view.set_floor(floor)
        assert len(view.table_ids()) == 150
    assert max(frames.per_frame()) <= floor_plan.REPAINT_BATCH
    assert frames.drawn() == {t.id for t in floor.tables}  # each drawn in full in the end
    assert all(view.table_item(t.id).isVisible() and not view.table_item(t.id).draft for t in floor.tables)


def test_many_tables_changing_or_a_refit_are_drawn_a_batch_per_frame(qtbot, monkeypatch):
    """150 tables changing at once (a first pull) must not hold the screen for one long paint: every table
    shows its new state within a few frames, and no frame redraws more than a batch of them."""
    from hoststand.ui import floor_plan

    view = FloorPlanView()
    qtbot.addWidget(view)
    view.resize(1000, 800)
    view.show()
    floor = _floor(150)
    view.set_floor(floor)
    qtbot.waitExposed(view)
    qtbot.wait(50)
    frames = _Frames(view, monkeypatch)
    seated = replace(floor, tables=tuple(replace(t, state=TableState.SEATED, party_name="Guest", covers=2)
                                         for t in floor.tables))
    view.set_floor(seated)
    assert all(view.table_item(t.id).view.state is TableState.SEATED for t in floor.tables)  # the model is current
    with frames.watching(qtbot):
        pass
    per_frame, redrawn = frames.per_frame(), frames.drawn()
    frames.painted.clear()
    view.viewport().repaint()
    assert not view._to_repaint, "some tables never showed their new state"
    assert max(per_frame) <= floor_plan.REPAINT_BATCH
    assert redrawn == {t.id for t in floor.tables}  # every table was redrawn with its new state
    assert frames.painted == []  # and nothing is left to redraw: the pictures are cached

    # A refit (the window or a banner changed the plan's size) redraws every table at the new size: a quick
    # draft of each first (colour and name, no text layout), then the full drawing a batch per frame.
    with frames.watching(qtbot):
        view.resize(1000, 700)
    assert max(frames.per_frame()) <= floor_plan.REPAINT_BATCH
    assert frames.drawn() == {t.id for t in floor.tables}
    assert not any(view.table_item(t.id).draft for t in floor.tables)


def test_tables_come_and_go_without_a_rebuild(qtbot):
    view = FloorPlanView()
    qtbot.addWidget(view)
    view.set_floor(_floor(3))
    keep = view.table_item("T0")
    view.set_floor(_floor(5))
    assert view.table_item("T0") is keep and len(view.table_ids()) == 5
    view.set_floor(_floor(2))
    assert view.table_ids() == ["T0", "T1"]


def test_allergy_and_not_on_pos_are_drawn_in_red(qtbot):
    view = FloorPlanView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    floor = _floor(3, state=TableState.SEATED, party_name="Ann Smith", covers=4, seated_minutes=12,
                   has_allergy=True, pos_linked=False)
    view.set_floor(floor)
    view.show()
    qtbot.waitExposed(view)
    view.fit()
    img = _render(view)
    t = floor.tables[0]
    # the allergy badge sits on the top-left corner, the "not on POS" pill under the table's bottom edge
    assert _red_around(view, img, QPointF(t.x, t.y)) > 0.3  # badge
    assert _red_around(view, img, QPointF(t.x + t.w / 2, t.y), radius=1) > 0.3  # the thick red edge
    assert _red_around(view, img, QPointF(t.x + t.w / 2, t.y + t.h)) > 0.2  # pill (red behind white words)
    assert "Not on the POS" in view.table_item("T0").toolTip()
    assert "ALLERGY" in view.table_item("T0").toolTip()
    # a plain free table has neither
    other = floor.tables[1]
    assert _red_around(view, img, QPointF(other.x, other.y)) == 0
    assert _red_around(view, img, QPointF(other.x + other.w / 2, other.y + other.h)) == 0


def test_what_each_table_says():
    base = _floor(1).tables[0]
    seated = replace(base, state=TableState.MAINS, party_name="Ann Smith", covers=4, seated_minutes=42)
    assert table_lines(seated)[0] == [("name", "0"), ("party", "Ann Smith"), ("meta", "4 · 42 min")]
    assert table_lines(seated)[1][1] == ("party", "Smith")
    held = replace(base, state=TableState.HELD, party_name="Ann Smith", covers=4,
                   next_time_local=datetime(2026, 11, 27, 19, 30))
    assert table_lines(held)[0][1] == ("party", "19:30 Ann Smith")
    free = replace(base, next_time_local=datetime(2026, 11, 27, 21, 0))
    assert table_lines(free)[0] == [("name", "0"), ("meta", "2–4 seats"), ("meta", "next 21:00")]


def test_repaint_of_a_busy_room_is_cheap_enough_to_measure(qtbot):
    """Not a timed assertion (benchmarks live in tests/benchmarks): 150 tables paint, then repaint, without error."""
    view = FloorPlanView()
    qtbot.addWidget(view)
    view.resize(1200, 800)
    floor = _floor(150)
    floor = replace(floor, tables=tuple(
        replace(t, state=TableState.MAINS, party_name=f"Guest {i}", covers=4, seated_minutes=i, has_allergy=i % 7 == 0,
                vip=i % 5 == 0, pending=i % 3 == 0) for i, t in enumerate(floor.tables)))
    view.set_floor(floor)
    view.show()
    qtbot.waitExposed(view)
    view.viewport().repaint()
    view.viewport().repaint()

