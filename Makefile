# The project's commands. See README.md.
.PHONY: setup test lint run bench-radius

setup:          ## Odoo 18 if missing, venv, dependencies, Debian test peers, database role
	bash tools/setup.sh

test:           ## every check and test: static checks, pytest, Odoo tests (sets up what is missing first)
	bash tools/setup.sh --if-needed
	bash tools/test.sh

lint:           ## static checks only
	bash tools/static_checks.sh

run:            ## Odoo with our add-ons and demo data on http://127.0.0.1:8069 (sets up what is missing first)
	bash tools/setup.sh --if-needed
	bash tools/run.sh
