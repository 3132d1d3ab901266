CREATE TABLE authors (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL
);

CREATE TABLE books (
    id serial PRIMARY KEY,
    isbn varchar(17) NOT NULL,
    title text NOT NULL,
    author_id integer NOT NULL,
    pages integer,
    price numeric(8,2) NOT NULL,
    CONSTRAINT uq_books_isbn UNIQUE (isbn),
    CONSTRAINT fk_author FOREIGN KEY (author_id) REFERENCES authors (id),
    CONSTRAINT chk_pages CHECK (pages > 0)
);

INSERT INTO authors (name) VALUES ('Ursula K. Le Guin'), ('Stanisław Lem');
INSERT INTO books (isbn, title, author_id, pages, price) VALUES
    ('978-0-441-47812-5', 'The Left Hand of Darkness', 1, 304, 9.99),
    ('978-0-15-602760-3', 'Solaris', 2, 204, 12.50);
