"""Technology-transfer marketplace: listings, bilingual matching, broker workflow, contracts."""
