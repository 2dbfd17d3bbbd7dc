"""The wrk script the suite loads every server with.

Each request is a distinct WhatsApp Cloud API notification as Meta sends it
(one text message, non-ASCII escaped as \\uXXXX): a unique message id, the
current time as its timestamp, Russian text, a sender among USERS users. Every
user's messages come in conversation order (the problem, then a name, then a
company, then follow-up questions), so the service's dialogs move through their
states. The body is signed per request with the app secret: wrk's LuaJIT calls
OpenSSL's HMAC through its FFI, with the key set once per thread.

With a rate, each wrk thread spaces its requests on a fixed schedule (wrk's
delay() hook), so the offered load does not depend on how fast answers come.
"""
import json

PROBLEMS = [
    "Здравствуйте! После обновления не печатает кассовый аппарат, чеки не выходят.",
    "Добрый день. Не работает интернет в офисе на втором этаже, роутер мигает красным.",
    "Сломался принтер в бухгалтерии: зажёвывает бумагу и пишет «ошибка 0x4F».",
    "Не запускается 1С после перезагрузки сервера, пишет, что нет лицензии.",
    "Здравствуйте, у нас не работает сканер штрихкодов на кассе №2.",
    "Перестала приходить почта на все ящики с утра, срочно нужна помощь!",
    "Ноутбук директора не включается, индикатор заряда не горит 🙁",
    "Добрый вечер. Камера видеонаблюдения на складе показывает чёрный экран.",
]
NAMES = [
    "Ольга Смирнова", "Иван Петров", "Анна Кузнецова", "Сергей Волков",
    "Мария Соколова", "Дмитрий Лебедев", "Елена Новикова", "Алексей Морозов",
]
COMPANIES = [
    "ООО «Ромашка-Трейд»", "ИП Сидоров А. В.", "ООО «СеверСталь-Сервис»",
    "АО «Уральские окна»", "ООО «Кофейня на Невском»", "ООО «Техноплюс»",
    "ЗАО «Городская аптека»", "ООО «Логистик-Центр»",
]
FOLLOW_UPS = [
    "Подскажите, пожалуйста, когда приедет инженер? Мы ждём с утра.",
    "Спасибо! А можно уточнить номер заявки ещё раз?",
    "Инженер может подъехать после 15:00? До этого у нас учёт.",
    "Проблема повторилась, касса снова не печатает чеки.",
    "Пришлите, пожалуйста, счёт на почту buh@example.ru",
    "Всё заработало, спасибо большое! 👍",
]


def escape_like_meta(text):
    """JSON string contents the way Meta writes them: ASCII only, '/' escaped."""
    return json.dumps(text, ensure_ascii=True)[1:-1].replace("/", "\\/")


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_list(items):
    return "{" + ", ".join(lua_string(escape_like_meta(item)) for item in items) + "}"


TEMPLATE = r"""-- Written by bench/run; see bench/wrk_script.py.
local ffi = require("ffi")
ffi.cdef[[
typedef struct hmac_ctx_st HMAC_CTX;
typedef struct evp_md_st EVP_MD;
typedef struct engine_st ENGINE;
const EVP_MD *EVP_sha256(void);
HMAC_CTX *HMAC_CTX_new(void);
int HMAC_Init_ex(HMAC_CTX *ctx, const void *key, int len, const EVP_MD *md, ENGINE *impl);
int HMAC_Update(HMAC_CTX *ctx, const void *data, size_t len);
int HMAC_Final(HMAC_CTX *ctx, unsigned char *md, unsigned int *len);
struct fixit_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct fixit_timespec *now);
]]
local ok, crypto = pcall(ffi.load, "crypto")
if not ok then crypto = ffi.load("libcrypto.so.3") end

local SECRET = @SECRET@
local PATH = @PATH@
local USERS = @USERS@
local RUN = @RUN@
local RATE = @RATE@
local RESULT_FILE = @RESULT_FILE@
local PROBLEMS = @PROBLEMS@
local NAMES = @NAMES@
local COMPANIES = @COMPANIES@
local FOLLOW_UPS = @FOLLOW_UPS@

local threads = {}
local thread_count = 0
function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  thread:set("thread_total", @THREADS@)
  table.insert(threads, thread)
end

local hmac, digest, digest_len, hex, sig_parts, now_ts
local users_mine, next_user, sent_by_user, counter
local interval_ms, schedule_start, scheduled = 0, nil, 0

local clock_buffer = ffi.new("struct fixit_timespec")
local function monotonic_ms()
  ffi.C.clock_gettime(1, clock_buffer)  -- CLOCK_MONOTONIC
  return tonumber(clock_buffer.tv_sec) * 1000 + tonumber(clock_buffer.tv_nsec) / 1e6
end

function init(args)
  hmac = crypto.HMAC_CTX_new()
  crypto.HMAC_Init_ex(hmac, SECRET, #SECRET, crypto.EVP_sha256(), nil)
  digest = ffi.new("unsigned char[32]")
  digest_len = ffi.new("unsigned int[1]")
  hex = {}
  for i = 0, 255 do hex[i] = string.format("%02x", i) end
  sig_parts = {}
  -- This thread's share of the users, so each user's messages stay in order.
  users_mine = math.floor((USERS - tid + thread_total - 1) / thread_total)
  next_user = 0
  sent_by_user = {}
  counter = 0
  if RATE > 0 then interval_ms = 1000.0 * thread_total / RATE end
end

local function text_for(user, k)
  if k == 0 then return PROBLEMS[user % #PROBLEMS + 1] end
  if k == 1 then return NAMES[user % #NAMES + 1] end
  if k == 2 then return COMPANIES[user % #COMPANIES + 1] end
  return FOLLOW_UPS[(user + k) % #FOLLOW_UPS + 1]
end

function request()
  local slot = next_user
  next_user = (next_user + 1) % users_mine
  local user = tid + slot * thread_total
  local k = sent_by_user[user] or 0
  sent_by_user[user] = k + 1
  counter = counter + 1
  local phone = string.format("7999%07d", user)
  local id = string.format("wamid.HBgL%sVAgASGBQ%s%dT%dN%08dAA==", phone, RUN, tid, k, counter)
  local body = '{"object":"whatsapp_business_account","entry":[{"id":"200000000000001",' ..
    '"changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":' ..
    '"79990000100","phone_number_id":"100000000000001"},"contacts":[{"profile":{"name":"' ..
    NAMES[user % #NAMES + 1] .. '"},"wa_id":"' .. phone .. '"}],"messages":[{"from":"' .. phone ..
    '","id":"' .. id .. '","timestamp":"' .. os.time() .. '","type":"text","text":{"body":"' ..
    text_for(user, k) .. '"}}]},"field":"messages"}]}]}'
  crypto.HMAC_Init_ex(hmac, nil, 0, nil, nil)
  crypto.HMAC_Update(hmac, body, #body)
  crypto.HMAC_Final(hmac, digest, digest_len)
  for i = 0, 31 do sig_parts[i + 1] = hex[digest[i]] end
  return wrk.format("POST", PATH, {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = "sha256=" .. table.concat(sig_parts),
  }, body)
end

if RATE > 0 then
  function delay()
    local now = monotonic_ms()
    if not schedule_start then schedule_start = now end
    local due = schedule_start + scheduled * interval_ms
    scheduled = scheduled + 1
    if due <= now then return 0 end
    return math.floor(due - now)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = io.open(RESULT_FILE, "w")
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  out:close()
end
"""


def write_script(out_path, result_file, secret, run_id, users=10000, rate=0, threads=2,
                 path="/webhook/waba"):
    """Writes the wrk script to out_path; wrk's done() writes its figures to result_file."""
    text = TEMPLATE
    for name, value in {
        "@SECRET@": lua_string(secret),
        "@PATH@": lua_string(path),
        "@USERS@": str(int(users)),
        "@RUN@": lua_string(run_id),
        "@RATE@": repr(float(rate)),
        "@THREADS@": str(int(threads)),
        "@RESULT_FILE@": lua_string(str(result_file)),
        "@PROBLEMS@": lua_list(PROBLEMS),
        "@NAMES@": lua_list(NAMES),
        "@COMPANIES@": lua_list(COMPANIES),
        "@FOLLOW_UPS@": lua_list(FOLLOW_UPS),
    }.items():
        text = text.replace(name, value)
    with open(out_path, "w", encoding="ascii") as f:
        f.write(text)
