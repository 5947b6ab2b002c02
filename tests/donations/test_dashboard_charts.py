"""donations.charts: SVG bar and line charts drawn on the server, with no script and no inline
style, coordinates written the same in every language, figures on every bar and point."""

import datetime
import re

from django.utils import timezone, translation

from donations.charts import WIDTH, bar_chart, bar_rows, line_chart, line_geometry


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 12, 5, hour, minute))


def test_bar_rows_draw_every_bar_to_one_scale():
    bars, zero, height = bar_rows([("North", 10000), ("South", 2500), ("East", 0)])

    assert [(bar.x, bar.width) for bar in bars] == [(0, WIDTH), (0, WIDTH / 4), (0, 0)]
    assert zero is None
    assert height == 3 * 40
    assert [bar.amount for bar in bars] == ["$100.00", "$25.00", "$0.00"]


def test_bar_rows_start_negative_bars_at_a_zero_line():
    bars, zero, _height = bar_rows([("Up", 3000), ("Down", -1000)])

    assert zero == WIDTH / 4
    up, down = bars
    assert (up.x, up.width, up.negative) == (WIDTH / 4, WIDTH * 3 / 4, False)
    assert (down.x, down.width, down.negative) == (0, WIDTH / 4, True)


def test_bar_rows_shorten_long_labels_but_keep_them_whole_in_the_title():
    name = "The Very Long Name Of A Partner Congregation Youth Group"
    [bar], _zero, _height = bar_rows([(name, 100)])

    assert bar.label == name
    assert len(bar.short_label) <= 36
    assert bar.short_label.endswith("…")


def test_bar_chart_of_nothing_is_empty():
    assert bar_chart([], chart_id="c", title="Nothing") == ""
    assert line_chart([], chart_id="c", title="Nothing") == ""


def test_bar_chart_is_an_image_with_a_title_and_no_inline_style_or_script():
    markup = bar_chart([("North", 10000), ("<b>South</b>", 2500)], chart_id="chart-x",
                       title="Raised by each team")

    assert markup.startswith('<svg class="chart chart-bars" id="chart-x"')
    assert 'role="img" aria-labelledby="chart-x-title chart-x-desc"' in markup
    assert '<title id="chart-x-title">Raised by each team</title>' in markup
    assert "style=" not in markup and "<script" not in markup and " on" not in markup
    assert "<b>" not in markup
    assert re.findall(r'data-cents="(\d+)"', markup) == ["10000", "2500"]
    assert "<title>North: $100.00</title>" in markup


def test_line_geometry_steps_from_zero_through_each_count():
    geometry = line_geometry([(at(10), 1000), (at(11), 3000), (at(12), 4000)])

    points = geometry["points"]
    assert [point.cents for point in points] == [1000, 3000, 4000]
    assert points[0].x == geometry["left"]
    assert points[-1].x == geometry["right"]
    assert points[-1].y < points[1].y < points[0].y  # higher figures are drawn higher
    baseline = geometry["ticks_y"][0].y
    assert geometry["path"].startswith(f"M{points[0].x} {baseline} H{points[0].x} "
                                       f"V{points[0].y}")
    assert [tick.text for tick in geometry["ticks_y"]] == ["$0.00", "$40.00"]
    assert [tick.text for tick in geometry["ticks_x"]] == ["10:00 AM", "12:00 PM"]


def test_line_geometry_of_one_count_puts_it_in_the_middle():
    geometry = line_geometry([(at(10), 2500)])

    [point] = geometry["points"]
    assert point.x == round((geometry["left"] + geometry["right"]) / 2, 1)
    assert len(geometry["ticks_x"]) == 1


def test_line_geometry_reaches_below_zero_for_a_negative_total():
    geometry = line_geometry([(at(10), 1000), (at(11), -500)])

    assert [tick.text for tick in geometry["ticks_y"]] == ["-$5.00", "$0.00", "$10.00"]


def test_line_geometry_writes_the_day_when_counts_span_days():
    geometry = line_geometry([(at(22), 100), (at(22) + datetime.timedelta(hours=5), 200)])

    assert [tick.text for tick in geometry["ticks_x"]] == ["Dec 5, 2026 10:00 PM",
                                                           "Dec 6, 2026 3:00 AM"]


def test_charts_write_coordinates_with_a_dot_in_every_language():
    with translation.override("es"):
        bars = bar_chart([("Norte", 333), ("Sur", 1000)], chart_id="b", title="Equipos")
        line = line_chart([(at(10), 333), (at(13, 7), 1000)], chart_id="l", title="Día")

    for markup in (bars, line):
        numbers = re.findall(r'(?:x|y|width|cx|cy|x1|x2|y1|y2)="([^"]*)"', markup)
        assert numbers
        assert all("," not in number for number in numbers)
    assert "13:07" in line  # the times as Spanish writes them
