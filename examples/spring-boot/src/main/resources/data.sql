merge into post key (id) values (1, 'Hello', 1), (2, 'Second post', 1);
