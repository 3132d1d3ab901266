CREATE TYPE public.visibility AS ENUM (
    'public',
    'friends',
    'private'
);

CREATE TABLE public.profiles (
    id bigint NOT NULL,
    handle character varying(30) DEFAULT 'anonymous'::character varying NOT NULL,
    visibility public.visibility DEFAULT 'public'::public.visibility NOT NULL,
    karma integer DEFAULT '-1'::integer NOT NULL,
    verified boolean DEFAULT false NOT NULL,
    preferences jsonb DEFAULT '{}'::jsonb NOT NULL,
    joined_on date DEFAULT CURRENT_DATE NOT NULL
);

CREATE SEQUENCE public.profiles_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.profiles_id_seq OWNED BY public.profiles.id;

CREATE TABLE public.votes (
    profile_id bigint NOT NULL,
    post_id bigint NOT NULL,
    value smallint NOT NULL,
    CONSTRAINT votes_value_check CHECK ((value = ANY (ARRAY['-1'::integer, 1])))
);

ALTER TABLE ONLY public.profiles ALTER COLUMN id SET DEFAULT nextval('public.profiles_id_seq'::regclass);

ALTER TABLE ONLY public.profiles
    ADD CONSTRAINT profiles_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.votes
    ADD CONSTRAINT votes_pkey PRIMARY KEY (profile_id, post_id);

ALTER TABLE ONLY public.votes
    ADD CONSTRAINT votes_profile_id_fkey FOREIGN KEY (profile_id) REFERENCES public.profiles(id) ON DELETE CASCADE;
