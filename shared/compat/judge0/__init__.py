"""Judge0 CE 1.13's vocabulary (ids, statuses, attributes) and how an execution reads in it: the
gateway's /judge0 routes answer with it and the executor's callbacks send it."""
