"""Understanding inquiries: normalisation, intent matching, entity extraction and the FAQ knowledge."""
