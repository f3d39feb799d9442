"""A real WordPress on loopback for the publisher's integration tests.

Everything lives in one temporary folder, so several servers can run side by side:

- a private MariaDB (its own data folder and Unix socket, no TCP at all);
- a copy of Debian's WordPress tree with its own wp-config.php (the Debian one reads
  /etc/wordpress/config-<host>.php, which would tie the site to the machine);
- PHP's built-in server on a free 127.0.0.1 port, in its own process group.

The site is installed once, without WordPress's sample post and pages, with an administrator,
an author and a contributor, each with an Application Password. The fresh database is then copied aside, and reset() restores that
copy, which takes a fraction of what a new install takes and yields the same site, with the
same credentials. Needs the Debian packages in DEBIAN_PACKAGES (as root, as on CI).

    with WordPressServer(upload_limit_mb=2) as wp:
        requests.get(wp.rest_url("wp/v2/posts"), auth=wp.auth)
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import requests

DEBIAN_PACKAGES = (
    "wordpress mariadb-server php-cli php-mysql php-gd wordpress-theme-twentytwentythree"
)
WORDPRESS_SOURCE = Path("/usr/share/wordpress")
THEME = WORDPRESS_SOURCE / "wp-content" / "themes" / "twentytwentythree"
PROGRAMS = ("php", "mariadb-install-db", "mariadbd", "mariadb", "mariadb-admin")
PHP_MODULES = ("mysqli", "gd")

DATABASE = "wordpress"
FRESH_DATABASE = "wordpress_fresh"  # the state right after install, restored by reset()
STARTUP_TIMEOUT = 60.0

# Router of php -S. First it plays the front web server's body limit (nginx's
# client_max_body_size, Apache's LimitRequestBody), which answers 413 before PHP runs: PHP's
# own post_max_size does not stop a raw-body upload, and WordPress's REST API takes those.
# Then files that exist (uploads, assets, wp-login.php, wp-admin/) are served by the built-in
# server itself, and every other path goes to WordPress, as a real server's rewrite rules do.
ROUTER_PHP = """<?php
if ((int) ($_SERVER['CONTENT_LENGTH'] ?? 0) > MAX_BODY_BYTES) {
    http_response_code(413);
    echo "<html><head><title>413 Request Entity Too Large</title></head>\n"
        . "<body><h1>413 Request Entity Too Large</h1></body></html>\n";
    return;
}
$path = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
$file = $_SERVER['DOCUMENT_ROOT'] . $path;
if (is_file($file) || is_file(rtrim($file, '/') . '/index.php')) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
"""

# php install.php WPROOT ADMIN AUTHOR CONTRIBUTOR TIMEZONE: installs the site, prints the
# Application Password of each user as JSON {"login": "password"}.
INSTALL_PHP = """<?php
[, $root, $admin, $author, $contributor, $timezone] = $argv;
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
require $root . '/wp-load.php';

// No "your new site" mail; defined before upgrade.php, which only defines it when missing.
function wp_new_blog_notification() {}
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

// Without a permalink structure wp_install() probes the site over HTTP to pick one.
add_filter('pre_option_permalink_structure', function () { return '/%postname%/'; });
wp_install('Situs Uji', $admin, $admin . '@example.invalid', true, '', wp_generate_password());
remove_all_filters('pre_option_permalink_structure');
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);
update_option('timezone_string', $timezone);

// An empty site: WordPress's sample post (with its comment) and pages go.
$samples = get_posts(['post_type' => ['post', 'page'], 'post_status' => 'any', 'numberposts' => -1]);
foreach ($samples as $sample) {
    wp_delete_post($sample->ID, true);
}

$users = [$admin => get_user_by('login', $admin)->ID];
foreach ([$author => 'author', $contributor => 'contributor'] as $login => $role) {
    $id = wp_insert_user([
        'user_login' => $login,
        'user_pass' => wp_generate_password(),
        'user_email' => $login . '@example.invalid',
        'role' => $role,
    ]);
    if (is_wp_error($id)) {
        fwrite(STDERR, $login . ': ' . $id->get_error_message() . "\\n");
        exit(1);
    }
    $users[$login] = $id;
}
$passwords = [];
foreach ($users as $login => $id) {
    [$passwords[$login]] = WP_Application_Passwords::create_new_application_password(
        $id, ['name' => 'tests']
    );
}
echo json_encode($passwords);
"""


def missing_requirements() -> list[str]:
    """What this machine lacks to run WordPressServer (empty when nothing)."""
    missing = [program for program in PROGRAMS if shutil.which(program) is None]
    missing += [str(path) for path in (WORDPRESS_SOURCE / "wp-load.php", THEME) if not path.exists()]
    if shutil.which("php"):
        loaded = subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.split()
        missing += [f"php module {module}" for module in PHP_MODULES if module not in loaded]
    return missing


class WordPressServer:
    """One WordPress site on http://127.0.0.1:PORT; start() or `with` it, stop() when done."""

    username = "redaksi"  # administrator
    author_username = "penulis"  # may publish own posts
    contributor_username = "kontributor"  # may write drafts, may not publish
    timezone = "Asia/Makassar"  # the office's (WITA), set as the site's timezone

    def __init__(self, upload_limit_mb: int = 64) -> None:
        self.upload_limit_mb = upload_limit_mb
        self.directory: Path | None = None
        self.port = 0
        self.app_password = ""
        self.author_password = ""
        self.contributor_password = ""
        self._db_user = pwd.getpwuid(os.getuid()).pw_name  # socket login as ourselves
        self._tables: list[str] = []
        self._mariadb: subprocess.Popen | None = None
        self._php: subprocess.Popen | None = None

    # --- what tests use -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        """The administrator's Application Password, for requests' `auth=`."""
        return (self.username, self.app_password)

    @property
    def wp_root(self) -> Path:
        return self._path("wordpress")

    @property
    def uploads_dir(self) -> Path:
        return self.wp_root / "wp-content" / "uploads"

    def rest_url(self, route: str) -> str:
        """rest_url("wp/v2/posts") -> http://127.0.0.1:PORT/wp-json/wp/v2/posts"""
        return f"{self.base_url}/wp-json/{route.lstrip('/')}"

    def create_category(self, name: str) -> int:
        """Creates a category as the administrator and returns its id."""
        response = requests.post(
            self.rest_url("wp/v2/categories"), auth=self.auth, json={"name": name}, timeout=30
        )
        if response.status_code != 201:
            raise RuntimeError(f"category {name!r}: {response.status_code} {response.text[:500]}")
        return response.json()["id"]

    def reset(self) -> None:
        """Back to the site as installed (about 20 ms): posts, media, terms, settings; the
        credentials stay the same."""
        statements = [
            # A request still running would hold a lock: fail instead of waiting a year.
            "SET SESSION lock_wait_timeout = 10",
            f"DROP DATABASE {DATABASE}",
            f"CREATE DATABASE {DATABASE}",
            *self._copy_tables(FRESH_DATABASE, DATABASE),
        ]
        self._sql("; ".join(statements))
        shutil.rmtree(self.uploads_dir, ignore_errors=True)

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> WordPressServer:
        """Starts it all (about 1 s); on failure cleans up and raises with the logs' tails."""
        self.directory = Path(tempfile.mkdtemp(prefix="wordpress-test-", dir=_scratch_base()))
        try:
            self._start()
        except BaseException as error:
            message = f"WordPress test server did not start: {error}\n{self._log_tails()}"
            self.stop()
            raise RuntimeError(message) from error
        return self

    def stop(self) -> None:
        """Kills the servers (no clean shutdown: their files go too) and removes the folder."""
        for process in (self._php, self._mariadb):
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        self._php = self._mariadb = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> WordPressServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start(self) -> None:
        data_dir = self._path("db")
        # Creating the system tables and copying WordPress overlap.
        with self._log("mariadb-install-db.log") as log:
            install_db = subprocess.Popen(
                [
                    "mariadb-install-db", "--no-defaults", f"--datadir={data_dir}",
                    f"--user={self._db_user}", "--auth-root-authentication-method=socket",
                    "--skip-test-db", *self._mariadb_options(),
                ],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        # Debian's tree links to files elsewhere (getID3 for media metadata, underscore.js),
        # some by relative paths that a copy would break: copy the files they point to.
        shutil.copytree(WORDPRESS_SOURCE, self.wp_root)
        self._path("router.php").write_text(
            ROUTER_PHP.replace("MAX_BODY_BYTES", str(self.upload_limit_mb * 2**20))
        )
        self._path("install.php").write_text(INSTALL_PHP)
        if install_db.wait() != 0:
            raise RuntimeError("mariadb-install-db failed")

        with self._log("mariadb.log") as log:
            self._mariadb = subprocess.Popen(
                [
                    "mariadbd", "--no-defaults", f"--datadir={data_dir}",
                    f"--socket={self._socket}", "--skip-networking", f"--user={self._db_user}",
                    f"--pid-file={self._path('mariadb.pid')}", *self._mariadb_options(),
                ],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._start_php()  # boots while MariaDB does
        self._wait_for("MariaDB", self._mariadb, self._database_answers)
        self._sql(f"CREATE DATABASE {DATABASE}")
        self._install()
        self._tables = self._sql(f"SHOW TABLES FROM {DATABASE}").split()
        self._sql("; ".join([f"CREATE DATABASE {FRESH_DATABASE}",
                             *self._copy_tables(DATABASE, FRESH_DATABASE)]))

        response = requests.get(self.rest_url("wp/v2/posts"), timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"REST API answered {response.status_code}: {response.text[:500]}")

    def _start_php(self) -> None:
        """php -S on a free port; another process may take the port first, then try another."""
        for _ in range(5):
            self.port = _free_port()
            self._write_wp_config()
            command = [
                "php",
                "-d", f"upload_max_filesize={self.upload_limit_mb}M",
                "-d", f"post_max_size={self.upload_limit_mb}M",
                # WordPress holds a raw upload in memory and GD decodes whole images.
                "-d", f"memory_limit={max(512, 8 * self.upload_limit_mb)}M",
                # Errors go to a log, never into the JSON of a response.
                "-d", "display_errors=0", "-d", "log_errors=1",
                "-d", f"error_log={self._path('php-errors.log')}",
                "-S", f"127.0.0.1:{self.port}", "-t", str(self.wp_root),
                str(self._path("router.php")),
            ]
            with self._log("php-server.log") as log:
                self._php = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                self._wait_for("PHP server", self._php, self._php_listens)
                return
            except RuntimeError:
                if "Address already in use" not in self._path("php-server.log").read_text():
                    raise
        raise RuntimeError("PHP server found no free port")

    def _install(self) -> None:
        result = subprocess.run(
            [
                "php", "-d", "display_errors=stderr", str(self._path("install.php")),
                str(self.wp_root), self.username, self.author_username,
                self.contributor_username, self.timezone,
            ],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
        self._path("wp-install.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"WordPress install failed (exit {result.returncode})")
        passwords = json.loads(result.stdout)
        self.app_password = passwords[self.username]
        self.author_password = passwords[self.author_username]
        self.contributor_password = passwords[self.contributor_username]

    def _write_wp_config(self) -> None:
        salts = "".join(
            f"define('{name}', 'wordpress-test-server {name}');\n"
            for name in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                         "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT")
        )
        (self.wp_root / "wp-config.php").write_text(f"""<?php
// Written by tests/support/wordpress_server.py for one test server.
define('DB_NAME', '{DATABASE}');
define('DB_USER', '{self._db_user}');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{self._socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', '{self.base_url}');
define('WP_SITEURL', '{self.base_url}');
define('WP_ENVIRONMENT_TYPE', 'local'); // Application Passwords over plain http
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('FS_METHOD', 'direct');
{salts}$table_prefix = 'wp_';
if (!defined('ABSPATH')) {{
    define('ABSPATH', __DIR__ . '/');
}}
require_once ABSPATH . 'wp-settings.php';
""")

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _mariadb_options() -> list[str]:
        # Durability is worthless for a throw-away test database; speed is not.
        return [
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
        ]

    def _copy_tables(self, source: str, target: str) -> list[str]:
        return [
            statement
            for table in self._tables
            for statement in (
                f"CREATE TABLE {target}.`{table}` LIKE {source}.`{table}`",
                f"INSERT INTO {target}.`{table}` SELECT * FROM {source}.`{table}`",
            )
        ]

    @property
    def _socket(self) -> Path:
        return self._path("mariadb.sock")

    def _sql(self, sql: str) -> str:
        result = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self._socket}", "--batch",
             "--skip-column-names", "-e", sql],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"SQL failed: {result.stderr.strip()}")
        return result.stdout

    def _database_answers(self) -> bool:
        return subprocess.run(
            ["mariadb-admin", "--no-defaults", f"--socket={self._socket}", "ping"],
            stdin=subprocess.DEVNULL, capture_output=True,
        ).returncode == 0

    def _php_listens(self) -> bool:
        # Its own line, not a connection test: another process may hold the port.
        log = self._path("php-server.log").read_text(errors="replace")
        return f"(http://127.0.0.1:{self.port}) started" in log

    @staticmethod
    def _wait_for(what: str, process: subprocess.Popen, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready after {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.02)

    def _path(self, name: str) -> Path:
        assert self.directory is not None, "server not started"
        return self.directory / name

    def _log(self, name: str) -> BinaryIO:
        return self._path(name).open("ab")

    def _log_tails(self, lines: int = 20) -> str:
        if self.directory is None:
            return ""
        tails = []
        for log in sorted(self.directory.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name} (last {lines} lines)\n" + "\n".join(tail))
        return "\n".join(tails)


def _scratch_base() -> str | None:
    """/dev/shm when it is a roomy tmpfs, else the usual temp folder. Copying WordPress there
    takes 0.1 s, against 0.3-2 s on this machine's disk, and MariaDB writes to memory."""
    try:
        roomy = shutil.disk_usage("/dev/shm").free > 2 * 2**30
    except OSError:
        return None
    return "/dev/shm" if roomy and os.access("/dev/shm", os.W_OK) else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
