"""Load test of POST /api/predict with the reference request (docs: /work/shared/docs/performance.md).

Each user posts the request in a closed loop (no think time). A response counts as a failure unless it
is 200 with a JSON body holding result.output (a list). Run headless through run_locust.sh, or:
  locust -f tests/load/locustfile.py --headless -u 100 -r 100 -t 60s --host http://127.0.0.1:7860
"""
import json

from locust import FastHttpUser, constant, task

REFERENCE = {"text": "华为在东莞松山湖建设了研发基地", "schema": "{\"公司\":null,\"地理位置\":null}"}
BODY = json.dumps(REFERENCE, ensure_ascii=False).encode("utf-8")
HEADERS = {"Content-Type": "application/json"}


class PredictUser(FastHttpUser):
    # FastHttpUser (geventhttpclient) costs the client far less CPU than HttpUser (requests), so the
    # load generator is less likely to be the bottleneck on a small machine.
    wait_time = constant(0)

    @task
    def predict(self):
        with self.client.post("/api/predict", data=BODY, headers=HEADERS, name="/api/predict",
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}: {(response.text or '')[:200]}")
                return
            try:
                body = json.loads(response.content)
            except ValueError:
                response.failure("the body is not JSON")
                return
            result = body.get("result") if isinstance(body, dict) else None
            if not isinstance(result, dict) or not isinstance(result.get("output"), list):
                response.failure("the body has no result.output list")
                return
            response.success()
