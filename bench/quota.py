"""Quota admission cost: pod creates in a namespace with and without a ResourceQuota.

`python -m bench.quota`: 1,500 creates each way (in memory, only the quota controller running),
the mean cost of the first and the last hundred. Usage comes from the `idx_usage` totals, so a
create's cost does not grow with the pods already in the namespace or with the log.
"""
import time
from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.client import Client, must
from engine.controllers.resourcequota import ResourceQuotaController
def run(n, with_quota):
    c = Cluster.memory(actors=[ResourceQuotaController()])
    init(c, InitOptions(start_time=0)); k = Client(c)
    if with_quota:
        must(k.create({"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},"spec":{"hard":{"pods":"100000","requests.cpu":"1000","count/pods":"100000"}}}))
    times=[]
    for i in range(n):
        t=time.perf_counter()
        must(k.create({"apiVersion":"v1","kind":"Pod","metadata":{"name":f"p{i}"},"spec":{"containers":[{"name":"a","image":"x","resources":{"requests":{"cpu":"1m"}}}]}}))
        times.append(time.perf_counter()-t)
    first=sum(times[:100])/100; last=sum(times[-100:])/100
    print(f"n={n} quota={with_quota}: first 100 {first*1e3:.2f} ms/create, last 100 {last*1e3:.2f} ms/create")
    print(must(k.get("resourcequotas","q"))["status"]["used"] if with_quota else "")
if __name__ == "__main__":
    run(1500, False)
    run(1500, True)
