"""FeedError messages name the file, the line and the field."""

from maasmix.feeds import FeedFormatError


def test_csv_error_names_file_line_and_field() -> None:
    exc = FeedFormatError(
        "bad time '25:7x:00'", file="stop_times.txt", row=12, field="arrival_time"
    )
    assert str(exc) == "stop_times.txt, line 12, field 'arrival_time': bad time '25:7x:00'"
    assert exc.to_dict()["row"] == 12


def test_json_array_item_is_named_by_its_path_not_as_a_line() -> None:
    exc = FeedFormatError(
        "expected a number", file="station_information.json", row=3, field="data.stations[3].lat"
    )
    assert str(exc) == "station_information.json, field 'data.stations[3].lat': expected a number"
