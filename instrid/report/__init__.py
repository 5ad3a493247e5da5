"""What the study concludes and shows: claims, the one verdict standard, each notebook's Finding, results
files and the README's table, figures. Imports the study and the layers below."""
