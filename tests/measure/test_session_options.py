"""The ORT options every CPU measurement (and the calibration probe) is taken with."""
from benchgen.measure.backends.runners import session_options


def test_intra_op_workers_do_not_spin_and_the_record_says_so():
    options, record = session_options(2)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.intra_op_num_threads == 2 and options.inter_op_num_threads == 1
    assert record["intra_op_spinning"] == "off" and record["intra_op_threads"] == 2


def test_the_default_thread_count_is_recorded_as_ort_default():
    options, record = session_options(None)
    assert options.intra_op_num_threads == 0 and record["intra_op_threads"] == "ort default"
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
