# kproxy image: builds the Kafka client against Debian's libraries, compiles, runs start:prod.
FROM node:20-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential python3 libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src src
COPY migrations migrations
COPY scripts scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libssl3 libsasl2-2 zlib1g libzstd1 liblz4-1 libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The console is served from its source files (plain ES modules, read once at start).
COPY --from=build /app/src/console/public src/console/public
ENV NODE_ENV=production PORT=8080
EXPOSE 8080
USER node
CMD ["sh", "-c", "node dist/src/cli/migrate.cli.js && node dist/src/main.js"]
