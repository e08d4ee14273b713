create table if not exists post (id bigint primary key, title varchar(200) not null, version bigint not null);
