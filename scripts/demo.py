#!/usr/bin/env python3
"""Plays one client's conversation against the real service and the local sandbox.

Starts fixit-sandbox (standing in for the WhatsApp Cloud API and Okdesk) and
fixit-exchange (SQLite under ./data), then sends what the outside world would:
a client's WhatsApp messages as signed webhooks, 1C's payment notice, Okdesk's
status changes. Prints the transcript and the ticket as Okdesk received it, and
exits 0 only when every expected reply arrived.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CLIENT_PHONE = "79165550123"
CLIENT_NAME = "Ольга Смирнова"
COMPANY = "ООО «Ромашка-Трейд»"
PROBLEM = "Здравствуйте! После обновления не печатает кассовый аппарат, чеки не выходят."


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=10):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until(what, check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise SystemExit(f"demo: timed out waiting for {what}")


class Demo:
    def __init__(self, bin_dir, data_dir):
        self.bin_dir = bin_dir
        self.data_dir = data_dir
        self.service_port = free_port()
        self.sandbox_port = free_port()
        self.secret = secrets.token_hex(16)
        self.env = dict(os.environ)
        self.env.update({
            "PORT": str(self.service_port),
            "BIND_ADDRESS": "127.0.0.1",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "info"),
            "WABA_APP_SECRET": self.secret,
            "WABA_VERIFY_TOKEN": secrets.token_hex(8),
            "WABA_API_URL": f"http://127.0.0.1:{self.sandbox_port}/v21.0",
            "WABA_PHONE_NUMBER_ID": "100000000000001",
            "WABA_ACCESS_TOKEN": "sandbox-" + secrets.token_hex(8),
            "OKDESK_URL": f"http://127.0.0.1:{self.sandbox_port}",
            "OKDESK_API_TOKEN": "sandbox-" + secrets.token_hex(8),
            "OKDESK_USER": "okdesk",
            "OKDESK_PASS": secrets.token_hex(8),
            "ACCOUNTING_TOKEN": secrets.token_hex(16),
            "DB_PATH": os.path.join(data_dir, "demo.db"),
        })
        self.processes = []
        self.client_lines = []
        self.seen_replies = 0
        self.message_counter = 0

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        for path in ("demo.db", "demo.db-wal", "demo.db-shm"):
            if os.path.exists(os.path.join(self.data_dir, path)):
                os.remove(os.path.join(self.data_dir, path))
        record = os.path.join(self.data_dir, "demo-sandbox.jsonl")
        log = open(os.path.join(self.data_dir, "demo.log"), "w", encoding="utf-8")
        self.log_path = log.name
        self.processes.append(subprocess.Popen(
            [os.path.join(self.bin_dir, "fixit-sandbox"), "--port", str(self.sandbox_port),
             "--record", record, "--env-file", "/dev/null"], env=self.env, stdout=log, stderr=log))
        self.processes.append(subprocess.Popen(
            [os.path.join(self.bin_dir, "fixit-exchange"), "--env-file", "/dev/null"],
            env=self.env, stdout=log, stderr=log))
        wait_until("the sandbox", lambda: self.try_get(
            f"http://127.0.0.1:{self.sandbox_port}/_sandbox/requests"))
        wait_until("the service", lambda: self.try_get(
            f"http://127.0.0.1:{self.service_port}/healthz"))

    def try_get(self, url):
        try:
            return http("GET", url, timeout=1)[0] == 200
        except OSError:
            return False

    def stop(self):
        codes = []
        for process in reversed(self.processes):
            process.terminate()
            try:
                codes.append(process.wait(timeout=10))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append("killed")
        return codes

    # --- what the outside world sends -------------------------------------------------
    def service(self, path):
        return f"http://127.0.0.1:{self.service_port}{path}"

    def verify_webhook(self):
        challenge = "1158201444"
        url = self.service("/webhook/waba?hub.mode=subscribe&hub.challenge=" + challenge +
                           "&hub.verify_token=" + self.env["WABA_VERIFY_TOKEN"])
        status, body = http("GET", url)
        assert status == 200 and body.decode() == challenge, (status, body)

    def client_writes(self, text):
        self.message_counter += 1
        self.client_lines.append(("client", text))
        notification = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "200000000000001", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "79990000100",
                             "phone_number_id": "100000000000001"},
                "contacts": [{"profile": {"name": "Ольга"}, "wa_id": CLIENT_PHONE}],
                "messages": [{
                    "from": CLIENT_PHONE,
                    "id": f"wamid.DEMO{int(time.time())}{self.message_counter:04d}",
                    "timestamp": str(int(time.time())),
                    "type": "text", "text": {"body": text}}]}}]}]}
        # Meta sends non-ASCII escaped; the signature covers the bytes as sent.
        body = json.dumps(notification, ensure_ascii=True).encode()
        signature = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        status, answer = http("POST", self.service("/webhook/waba"), body,
                              {"Content-Type": "application/json",
                               "X-Hub-Signature-256": signature})
        assert status == 200, (status, answer)

    def accounting_reports_payment(self, issue_id):
        self.client_lines.append(("1C", f"invoice for issue {issue_id} paid in full"))
        notice = {"event": "payment.status", "status": "paid",
                  "invoice": {"guid": "5f3c2a9e-1b7d-11ef-9a3c-00155d0a1f22",
                              "number": "СП00-000123", "amount": 15000.00, "currency": "RUB"},
                  "payment": {"guid": "8d41b0c4-01fa-11ef-9a3c-00155d0a1f22",
                              "number": "СП00-000457", "amount": 15000.00},
                  "amount_paid_total": 15000.00, "amount_due": 0.00,
                  "okdesk_issue_id": int(issue_id), "client_phone": "+" + CLIENT_PHONE}
        status, answer = http("POST", self.service("/webhook/accounting"),
                              json.dumps(notice, ensure_ascii=False).encode(),
                              {"Content-Type": "application/json",
                               "Authorization": "Bearer " + self.env["ACCOUNTING_TOKEN"]})
        assert status == 200, (status, answer)

    def okdesk_changes_status(self, issue_id, old, new, comment):
        self.client_lines.append(("Okdesk", f"issue {issue_id}: {old[1]} -> {new[1]}"))
        event = {"event": {"event_type": "new_ticket_status",
                           "author": {"id": "12", "first_name": "Дмитрий",
                                      "last_name": "Кузнецов", "type": "employee"},
                           "old_status": {"code": old[0], "name": old[1]},
                           "new_status": {"code": new[0], "name": new[1]},
                           "comment": {"id": str(abs(hash(new[0])) % 100000),
                                       "is_public": True, "content": comment}},
                 "issue": {"id": str(issue_id), "title": "WhatsApp",
                           "status": {"code": new[0], "name": new[1]}}}
        credentials = base64.b64encode(
            f"{self.env['OKDESK_USER']}:{self.env['OKDESK_PASS']}".encode()).decode()
        status, answer = http("POST", self.service("/webhook/okdesk"),
                              json.dumps(event, ensure_ascii=False).encode(),
                              {"Content-Type": "application/json",
                               "Authorization": "Basic " + credentials})
        assert status == 200, (status, answer)

    # --- what the sandbox received ----------------------------------------------------
    def sandbox_requests(self):
        status, body = http("GET", f"http://127.0.0.1:{self.sandbox_port}/_sandbox/requests")
        assert status == 200, status
        return json.loads(body)

    def replies(self):
        texts = []
        for request in self.sandbox_requests():
            body = request.get("body")
            if (request.get("method") == "POST" and request.get("path", "").endswith("/messages")
                    and isinstance(body, dict) and body.get("type") == "text"
                    and body.get("to") == CLIENT_PHONE):
                texts.append(body["text"]["body"])
        return texts

    def next_reply(self, expect):
        def arrived():
            replies = self.replies()
            return replies[self.seen_replies:] if len(replies) > self.seen_replies else None
        fresh = wait_until(f"a reply containing {expect!r}", arrived)
        text = fresh[0]
        self.seen_replies += 1
        self.client_lines.append(("service", text))
        if expect not in text:
            raise SystemExit(f"demo: expected a reply containing {expect!r}, got {text!r}")
        return text

    def issues_created(self):
        return [r for r in self.sandbox_requests()
                if r.get("method") == "POST" and r.get("path", "").rstrip("/") == "/api/v1/issues"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default="build/release/bin", help="folder with the binaries")
    parser.add_argument("--data", default="data", help="folder for the database and logs")
    args = parser.parse_args()

    demo = Demo(os.path.abspath(args.bin), os.path.abspath(args.data))
    demo.start()
    ok = False
    issues = []
    try:
        demo.verify_webhook()
        demo.client_writes(PROBLEM)
        demo.next_reply("Как к вам обращаться")
        demo.client_writes(CLIENT_NAME)
        demo.next_reply("Из какой вы компании")
        demo.client_writes(COMPANY)
        demo.next_reply("Создаём заявку")
        created = demo.next_reply("создана")
        issue_id = created.split("№", 1)[1].split()[0]
        demo.accounting_reports_payment(issue_id)
        demo.next_reply("получена")
        demo.okdesk_changes_status(issue_id, ("opened", "Открыта"), ("in_progress", "В работе"),
                                   "<p>Инженер выехал к вам.</p>")
        demo.next_reply("в работе")
        demo.okdesk_changes_status(issue_id, ("in_progress", "В работе"), ("completed", "Решена"),
                                   "<div>Переустановили драйвер принтера чеков.<br>"
                                   "Проверьте печать.</div>")
        demo.next_reply("завершены")
        issues = demo.issues_created()
        ok = len(issues) == 1
    finally:
        codes = demo.stop()

    print("\n=== Conversation ===")
    for who, text in demo.client_lines:
        print(f"[{who:>7}] {text}")
    print("\n=== The ticket as Okdesk received it ===")
    for request in issues:
        print(json.dumps(request.get("body"), ensure_ascii=False, indent=2))
    print(f"\nservice and sandbox stopped with exit codes {codes}; their log: {demo.log_path}")
    if not ok:
        print("demo: expected exactly one issue to be created", file=sys.stderr)
        return 1
    if any(code != 0 for code in codes):
        print("demo: a process did not stop cleanly", file=sys.stderr)
        return 1
    print("demo: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
