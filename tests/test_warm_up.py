"""A production worker keeps its long-lived objects out of the garbage collector's full passes."""
import gc

from portal.warm_up import FreezeAfterWarmUp


def test_objects_are_frozen_once_loaded_and_again_after_the_warm_up_requests():
    gc.unfreeze()
    served = []

    def application(environ, start_response):
        served.append(environ["PATH_INFO"])
        return [b"ok"]

    try:
        wrapped = FreezeAfterWarmUp(application, after=3)
        frozen_at_load = gc.get_freeze_count()
        assert frozen_at_load > 0
        built_while_warming_up = [[index] for index in range(1000)]  # objects a first request leaves behind
        # Frozen objects that die leave the count, so it is compared with a margin, not exactly.
        margin = 100
        for number in range(2):
            assert wrapped({"PATH_INFO": f"/{number}"}, None) == [b"ok"]
        assert gc.get_freeze_count() < frozen_at_load + len(built_while_warming_up) - margin
        wrapped({"PATH_INFO": "/2"}, None)
        assert gc.get_freeze_count() >= frozen_at_load + len(built_while_warming_up) - margin
        wrapped({"PATH_INFO": "/3"}, None)
        assert served == ["/0", "/1", "/2", "/3"]
    finally:
        gc.unfreeze()
