"""Crawl policy for every crawl path (`newsagg crawl`, the daemon, `scrapy crawl`).

Loaded by name (``crawlers.settings``), never rebuilt from a bare dict: a bare dict
silently falls back to Scrapy's defaults (robots.txt ignored, no delay). What the config
file sets (store, crawl, log, grouping) comes on top, by ``scheduler.crawl_child.config_settings``.
"""

from db import schema as _schema

BOT_NAME = "newsagg"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Honest, identifiable, polite.
USER_AGENT = "newsagg/0.1 (news aggregation crawler)"  # `crawl.contact` in the config adds a way to reach you
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
# The delay is a floor per host: Scrapy's default jitter (0.5–1.5×) let two requests to one
# host start 0.6 s apart (benchmarks/cluster.py saw it).
DOWNLOAD_DELAY_JITTER = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False

# Bounded work per response.
DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 2
# Scrapy's list without CannotResolveHostError: a name that did not resolve (no network, a typo)
# does not resolve a second later; the spider names it once and drops the host's other requests.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError", "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError", "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone", "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost", "scrapy.core.downloader.handlers.http11.TunnelError",
]
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
NEWSAGG_RETRY_BACKOFF = 2.0       # seconds before the first retry, doubled each time
NEWSAGG_RETRY_BACKOFF_MAX = 60.0  # also caps a server's Retry-After

# Nothing listens: no telnet console, no remote control server (it can run code in the crawler).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.OutletOnlyMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.RobotsTxtForEveryRequest": 100,  # Scrapy's lets some waiting requests through
    "crawlers.middlewares.IncrementalFetchMiddleware": 60,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    "crawlers.middlewares.RedirectLoopMiddleware": 650,  # sees a redirect before Scrapy's (600) follows it
}
ITEM_PIPELINES = {"crawlers.pipelines.StorePipeline": 300}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.logstats.LogStats": None,
    "crawlers.extensions.CrawlRunRecorder": 100,
}

LOG_LEVEL = "INFO"
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"  # the pipeline already logged one line for it
STATS_DUMP = False  # the run's counts go to crawl_runs and the progress lines instead
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The config's values, set by the crawl child from the file it read and for `scrapy crawl` by this
# add-on, from newsagg.toml (or -s NEWSAGG_CONFIG=FILE); these are their defaults, the config's too.
ADDONS = {"scheduler.crawl_child.ConfigAddon": 0}
NEWSAGG_CONFIG = None              # the config file `scrapy crawl` reads (None: $NEWSAGG_CONFIG, else ./newsagg.toml)
NEWSAGG_DB = "news.db"
NEWSAGG_BUSY_TIMEOUT = _schema.BUSY_TIMEOUT_MS / 1000  # seconds a write waits for another's write lock, then fails
NEWSAGG_MAX_ARTICLES = 0           # per outlet; 0 = no limit
NEWSAGG_GROUPING = {}              # GroupingSettings fields
NEWSAGG_RUN_ID = None              # the crawl child's, shared by its outlets' crawl_runs rows
NEWSAGG_PROGRESS_INTERVAL = 5.0    # seconds between progress lines (stderr) and saved counts

# An outlet moved onto a loopback base URL (tests, local mirrors) is fetched without delay.
NEWSAGG_LOOPBACK_DELAY = 0.0
NEWSAGG_LOOPBACK_RETRY_BACKOFF = 0.1

# Cluster mode (`newsagg worker`): the same politeness, counted in Redis for all workers together
# (and for loopback stand-ins too: that is what the cluster tests check).
NEWSAGG_REDIS_URL = ""
NEWSAGG_HOST_DELAY = DOWNLOAD_DELAY
# Slots are taken in Redis a little before the request reaches the site (a new connection, a busy
# worker): spacing them this much more keeps the gap the site sees at the delay or more.
NEWSAGG_HOST_DELAY_MARGIN = 0.1
NEWSAGG_HOST_CONCURRENCY = CONCURRENT_REQUESTS_PER_DOMAIN
NEWSAGG_LEASE_SECONDS = 30.0   # a request of a worker that stopped renewing goes back to the queue after this
NEWSAGG_FRONTIER_POLL = 0.5    # seconds between looks at an empty queue
