# Two commands on a fresh Debian 12:  make run   and   make test
# Everything else here is what they need.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The kiosk's state while developing stays in the checkout (gitignored).
export XDG_DATA_HOME ?= $(CURDIR)/var/data
WINDOW ?= 1280x800
FONTS  := kiosk/fonts/NotoSansCJKtc-Regular.otf kiosk/fonts/NotoSansCJKtc-Bold.otf kiosk/fonts/NotoSansThai-Regular.ttf

.PHONY: run test test-hours setup deps screenshots audit bench clean help image image-test bundle update-test messages

help:
	@echo "make run         set up, then start the kiosk (simulated hardware) in a $(WINDOW) window,"
	@echo "                 with a local office server on http://127.0.0.1:8080/ receiving its events,"
	@echo "                 open to this machine's network too (the ticket's QR) unless KIOSK_LOCAL_OFFICE_LAN=no"
	@echo "make test        set up, then run the whole test suite headless"
	@echo "make test-hours  the date- and hour-dependent tests at 00:05 and 23:59 Taipei and 23:59 UTC (needs faketime)"
	@echo "make screenshots write docs/screenshots/*.png (from the busy state)"
	@echo "make audit       check every screen's layout; pictures and a contact sheet in build/audit/"
	@echo "make bench       kiosk bench startup"
	@echo "make messages    carry the templates' messages (kiosk/locale/kiosk.pot, office/locale/queue.pot) into every language's catalogue"
	@echo "make image       (root) build the SD card image into build/; make image-test boots it under QEMU"
	@echo "make bundle      (root) the system update of the same build: build/kiosk-<version>-arm64.raucb (RAUC)"
	@echo "make update-test (root) under QEMU: N to N+1 through an office server, a power cut, a failing N+2 left"
	@echo "make clean       remove the venv and built fonts"

# --local-office serves on this machine's LAN address too, as server.public_url: a phone on the same Wi-Fi opens the
# ticket's QR code (and can reach the staff sign-in). KIOSK_LOCAL_OFFICE_LAN=no make run keeps it on 127.0.0.1.
run: setup
	$(BIN)/kiosk run --window $(WINDOW) --local-office

# lint-imports: which package may import which (.importlinter): the kiosk and the office server apart
test: setup
	$(BIN)/lint-imports --no-logo
	$(BIN)/python -m pytest

# The tests marked `clock` with the machine's clock set by libfaketime (Debian's faketime package): they must
# pass at any hour (tests/README.md). HOURS="00:20@Asia/Taipei" make test-hours picks other hours.
test-hours: setup
	sh .ci/hours

setup: deps $(VENV)/.installed $(FONTS)

deps:
	@sh .ci/apt-deps

$(VENV)/.installed: setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(FONTS) &: $(VENV)/.installed
	$(BIN)/kiosk fonts build

screenshots: setup
	# The README's pictures come from the busy state (kiosk/lived_in.py): a lobby mid-morning, not an empty store.
	for lang in zh-TW en; do for size in 1280x800 800x480; do \
	  $(BIN)/kiosk screenshot home --state busy --lang $$lang --size $$size --out docs/screenshots/home-$$lang-$$size.png || exit 1; \
	done; done
	for lang in vi th; do \
	  $(BIN)/kiosk screenshot ticket --state busy --lang $$lang --size 800x480 --out docs/screenshots/ticket-$$lang-800x480.png || exit 1; \
	done
	# A first ticket of the day, with the live-queue QR it carries where phones reach the office (server.public_url).
	tmp=$$(mktemp -d) && printf '[server]\npublic_url = "https://erlin.example.gov.tw/"\n' > $$tmp/kiosk.toml && \
	  XDG_DATA_HOME=$$tmp $(BIN)/kiosk --config $$tmp/kiosk.toml ticket preview A --out docs/screenshots/ticket-A.png
	$(BIN)/kiosk screenshot form:move-in --state busy --size 800x480 --out docs/screenshots/form-move-in-zh-TW-800x480.png
	$(BIN)/kiosk screenshot admin --state busy --size 800x480 --out docs/screenshots/admin-zh-TW-800x480.png
	for screen in rate reason ticket forms taken; do \
	  $(BIN)/kiosk screenshot $$screen --state busy --size 800x480 --out docs/screenshots/$$screen-zh-TW-800x480.png || exit 1; \
	done
	$(BIN)/kiosk screenshot ticket --state closed --size 800x480 --out docs/screenshots/ticket-closed-zh-TW-800x480.png
	$(BIN)/kiosk screenshot ticket --state busy --lang en --size 800x480 --out docs/screenshots/ticket-en-800x480.png
	# Large text and high contrast (issue 20), as a resident turns it on
	for screen in home ticket; do \
	  $(BIN)/kiosk screenshot $$screen --state busy --mode large --size 800x480 --out docs/screenshots/$$screen-large-zh-TW-800x480.png || exit 1; \
	done
	# A screen mounted high (display.reach = "low"): no control in its top third
	for screen in home ticket; do \
	  $(BIN)/kiosk screenshot $$screen --state busy --reach low --size 800x480 --out docs/screenshots/$$screen-low-zh-TW-800x480.png || exit 1; \
	done

# After adding or changing a message in kiosk/locale/kiosk.pot: carry it into every language's catalogue. A new
# message arrives untranslated, a changed one marked fuzzy for its translator; tests/test_i18n.py fails until each
# is translated (kiosk/locale/README.md).
messages: setup
	$(BIN)/pybabel update -i kiosk/locale/kiosk.pot -d kiosk/locale -D kiosk -w 120
	$(BIN)/pybabel update -i office/locale/queue.pot -d office/locale -D queue -w 120

# Every screen x state x size x language checked; the pictures and a contact sheet in build/audit/index.html
audit: setup
	$(BIN)/kiosk audit layout --out build/audit

# The SD card image (as root; about 17 min here, 4.5 of them xz): build/kiosk-<version>-arm64.img.xz, .sha256, .manifest
image:
	images/build-image.sh

# Boot the built image under QEMU twice (the example kiosk.toml with a test SSH key and an office server on this
# machine): network, SSH, NTP and upload on the first boot, a power cut, the kiosk on the second (as root; ~15 min)
image-test:
	images/build-image.sh --test

# A system update (images/README.md, "Updates"): the root of the last make image (built first if there is none),
# signed with RAUC_CERT/RAUC_KEY (unset: development keys in build/keys)
bundle:
	images/build-image.sh --bundle

# Under QEMU, booted by U-Boot: N updated to N+1 by a real office server with the power cut once during the install,
# then a failing N+2 installed and left by the kiosk itself; the times of each step (as root; ~45 min after make image)
update-test:
	images/build-image.sh --update-test

bench: setup
	$(BIN)/kiosk bench startup

clean:
	rm -rf $(VENV) $(FONTS) build dist *.egg-info
