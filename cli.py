import click
@click.group()
def main():
    """revisit"""
