from kss_analysis.cli import main

raise SystemExit(main())
