"""TensorBoard's own reader against a sweep folder's tensorboard/: the root run holds the
HParams experiment naming every swept key, and every grid point's run is a session whose
hyper-parameters are that point's settings, ended as a success or a failure.

    python3 tests/tensorboard/check_hparams.py <sweep-folder> [number of sessions]
"""

import os
import sys

from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
from tensorboard.plugins.hparams import plugin_data_pb2


def main(folder, sessions):
    mux = EventMultiplexer(size_guidance={"tensors": 0, "scalars": 0})
    mux.AddRunsFromDirectory(os.path.join(folder, "tensorboard"))
    mux.Reload()
    content = mux.PluginRunToTagToContent("hparams")
    root = content.get(".")
    assert root, f"no HParams experiment in the root run; runs with HParams: {sorted(content)[:5]}"
    experiment = plugin_data_pb2.HParamsPluginData.FromString(root["_hparams_/experiment"]).experiment
    names = [h.name for h in experiment.hparam_infos]
    assert "variant" in names and len(names) >= 2, names
    assert experiment.metric_infos, "no metrics named"
    started = 0
    for run, tags in content.items():
        if run == ".":
            continue
        start = plugin_data_pb2.HParamsPluginData.FromString(tags["_hparams_/session_start_info"]).session_start_info
        end = plugin_data_pb2.HParamsPluginData.FromString(tags["_hparams_/session_end_info"]).session_end_info
        assert sorted(start.hparams) == sorted(names), (run, sorted(start.hparams), names)
        assert end.status in (1, 2), (run, end.status)
        for m in experiment.metric_infos:
            assert m.name.tag in mux.GetAccumulator(run).Tags()["scalars"], (run, m.name.tag)
        started += 1
    assert started > 0 and sessions in (None, started), f"{started} sessions, expected {sessions}"
    print(f"{started} HParams sessions over {names}, metrics {[m.name.tag for m in experiment.metric_infos]}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
