"""Data bundled with the example city (a CSL subset; see CSL-LICENSE.txt)."""
